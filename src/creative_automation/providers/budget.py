"""A campaign's spending limit: money is reserved before a call and settled after it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Budget:
    """Never exceeded: a call whose worst-case price does not fit is not made.

    One campaign's generations run on one event loop, so reserve/settle need no lock.
    `limit_usd=None` means no limit (spending is still counted).
    """

    limit_usd: float | None = None
    spent_usd: float = 0.0
    reserved_usd: float = 0.0
    calls: list[tuple[str, float]] = field(default_factory=list)

    @property
    def available_usd(self) -> float | None:
        if self.limit_usd is None:
            return None
        return self.limit_usd - self.spent_usd - self.reserved_usd

    def reserve(self, amount: float) -> bool:
        """Hold `amount` for a call; False (nothing held) when it would break the limit."""
        available = self.available_usd
        if available is not None and amount > available + 1e-12:
            return False
        self.reserved_usd += amount
        return True

    def settle(self, reserved: float, actual: float, what: str) -> None:
        """Replace a reservation by what the call really cost (never more than reserved)."""
        self.reserved_usd -= reserved
        self.spent_usd += actual
        self.calls.append((what, actual))

    def release(self, reserved: float) -> None:
        """The call failed and was not charged: give the reservation back."""
        self.reserved_usd -= reserved
