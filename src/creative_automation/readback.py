"""OCR read-back of a rendered group: each creative's copy read off its written file.

Runs on threads of the campaign's process while other groups render (Tesseract releases the
GIL), so a campaign's wall time barely moves; a text that does not read back whole makes its
creative needs_review."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from PIL import Image

from .compliance.findings import Finding
from .compliance.ocr import Placed, readback_findings
from .imaging.geometry import Box
from .imaging.io import load_image
from .manifest import CreativeRecord

FIELDS = ("message", "call_to_action", "disclaimer")
_pool: tuple[ThreadPoolExecutor, int] | None = None
_lock = threading.Lock()
_warmed: set[tuple[int, str]] = set()  # (pool, locale) whose engines are loaded


def readers(threads: int | None = None) -> ThreadPoolExecutor:
    """The process's OCR threads, kept across campaigns: each holds its Tesseract engines
    (10–90 ms to load and ~40 MB per language), so a second campaign loads none again and a
    process holds as many engine sets as it has threads, not one per thread that ever read.
    `threads` None: the pool as it is (one per core when there is none yet)."""
    global _pool
    with _lock:
        wanted = threads or (_pool[1] if _pool else os.cpu_count() or 1)
        if _pool is None or _pool[1] != wanted:
            _pool = (ThreadPoolExecutor(wanted, "cap-ocr"), wanted)
        return _pool[0]


def warm_readers(pool: ThreadPoolExecutor, threads: int, locales: Iterable[str]) -> None:
    """Load the reader threads' engines for the campaign's locales now, while its sources are
    generated, instead of on its first creatives: one task per thread (a thread that takes
    two loads nothing twice; one that takes none loads on first use)."""
    with _lock:  # the threads keep their engines: a locale is warmed once per process
        tags = [t for t in dict.fromkeys(locales) if (id(pool), t) not in _warmed]
        _warmed.update((id(pool), t) for t in tags)
    if not tags:
        return

    def load() -> None:
        blank = Image.new("L", (64, 32), 255)
        for tag in tags:
            readback_findings(blank, {"message": Placed("x", Box(0, 0, 64, 32))}, tag)

    with contextlib.suppress(RuntimeError):  # the process is shutting down: nothing to warm
        for _ in range(threads):
            pool.submit(load)


def placed_copy(record: CreativeRecord) -> dict[str, Placed]:
    """The texts of a creative where its layout put them."""
    lay = record.layout
    where = {
        "message": (lay.headline_box, False, record.headline_px),
        "call_to_action": (lay.cta_box, True, record.cta_px),
        "disclaimer": (lay.disclaimer_box, False, record.disclaimer_px),
    }
    out = {}
    for field in FIELDS:
        text = getattr(record, field)
        box, line, size = where[field]
        if text and box:
            out[field] = Placed(text, Box(*box), line=line, size_px=size)
    return out


def read_back(record: CreativeRecord, folder: Path) -> CreativeRecord:
    """The record with a copy_readback finding per text (its status updated)."""
    if record.path is None:
        return record
    image = load_image(folder / record.path)
    found = readback_findings(image, placed_copy(record), record.locale)
    status = record.status
    if status == "ok" and any(f.blocking for f in found):
        status = "needs_review"
    return record.model_copy(update={"compliance": record.compliance + found, "status": status})


def read_back_group(
    pool: ThreadPoolExecutor, records: list[CreativeRecord], folder: Path
) -> Future[list[CreativeRecord]]:
    """A group's records read back, each creative on its own reader thread (the last group
    of a campaign then takes a creative's read-back, not the group's, after rendering)."""
    done: Future[list[CreativeRecord]] = Future()
    parts = [pool.submit(read_back, r, folder) for r in records]
    left, lock = [len(parts)], threading.Lock()

    def one_done(_: Future[CreativeRecord]) -> None:
        with lock:
            left[0] -= 1
            if left[0]:
                return
        try:
            done.set_result([p.result() for p in parts])
        except BaseException as exc:  # handed to the campaign, which raises it
            done.set_exception(exc)

    if not parts:
        done.set_result([])
    for p in parts:
        p.add_done_callback(one_done)
    return done


def skipped_group(records: list[CreativeRecord]) -> list[CreativeRecord]:
    """Read-back switched off (CAP_READBACK=off): said so on each creative, never passed."""
    skipped = Finding(
        check="copy_readback", status="skipped", detail="OCR read-back is off (CAP_READBACK=off)"
    )
    return [
        r if r.path is None else r.model_copy(update={"compliance": [*r.compliance, skipped]})
        for r in records
    ]
