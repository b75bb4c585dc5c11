"""Record ids: a type prefix and a ULID (time-ordered, so sorting by id sorts by creation)."""

from __future__ import annotations

import secrets
import threading
import time

# Crockford's base32: no I, L, O or U, so ids survive being read aloud or retyped
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RANDOM_BITS = 80
_lock = threading.Lock()
_last = (0, 0)  # (milliseconds, random part) of the id made last in this process


def ulid() -> str:
    """A 26-character ULID: 48 bits of Unix milliseconds, then 80 random bits.

    Monotonic within a process: two ids made in the same millisecond differ by one in the
    random part, so "newest first" by id holds for everything one process writes (a campaign's
    events, a page of campaigns) without a sequence column.
    """
    global _last
    with _lock:
        now = time.time_ns() // 1_000_000
        last_ms, last_rand = _last
        if now <= last_ms:  # same millisecond, or the clock stepped back: keep counting up
            now, rand = last_ms, last_rand + 1
            if rand >> _RANDOM_BITS:  # 2**80 ids in one millisecond: borrow the next one
                now, rand = now + 1, secrets.randbits(_RANDOM_BITS - 1)
        else:
            # one bit short of the full width, so the counter can never overflow in practice
            rand = secrets.randbits(_RANDOM_BITS - 1)
        _last = (now, rand)
    value = (now << _RANDOM_BITS) | rand
    return "".join(_ALPHABET[(value >> shift) & 31] for shift in range(125, -1, -5))


def new_id(prefix: str) -> str:
    """`<prefix>_<ULID>`, e.g. ``cmp_01JD3Q9W5V8X2ZK4M7N6P0R1ST``."""
    return f"{prefix}_{ulid()}"
