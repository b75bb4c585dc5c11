"""What is in the inbox and what changed: listings, settling files, wake-ups between scans."""

from __future__ import annotations

import posixpath
import threading
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from fsspec import AbstractFileSystem
from watchdog.events import (
    EVENT_TYPE_CLOSED_NO_WRITE,
    EVENT_TYPE_OPENED,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver

BRIEF_SUFFIXES = (".yaml", ".yml", ".json")
REJECTED = "rejected"  # the inbox's own folder: invalid briefs with their .errors.txt
# the inbox reading a brief opens it: those events must not wake the loop again
UNCHANGED = {EVENT_TYPE_OPENED, EVENT_TYPE_CLOSED_NO_WRITE}
STOP_CHECK_S = 0.2  # one thread cannot wait on two events: how often a watched wait looks at stop

Stat = tuple[int, str]  # size and modification stamp, as the file system lists them
Stamp = tuple[tuple[str, Stat | None], ...]


def stem(name: str) -> str:
    return posixpath.splitext(name)[0]


@dataclass
class Listing:
    """The inbox's files (hidden ones and rejected/ left out) by path relative to it."""

    files: dict[str, Stat] = field(default_factory=dict)
    dirs: set[str] = field(default_factory=set)  # top-level folders

    @property
    def briefs(self) -> list[str]:
        return sorted(n for n in self.files if "/" not in n and n.lower().endswith(BRIEF_SUFFIXES))

    def inputs(self, name: str, extras: tuple[str, ...]) -> list[str]:
        """The brief, every file in its folder, and the files beside it that it names."""
        folder = f"{stem(name)}/"
        return sorted({name, *extras, *(rel for rel in self.files if rel.startswith(folder))})

    def locate(self, name: str, file: str) -> str | None:
        """Where a file the brief names is: in the brief's folder, else beside the brief."""
        if f"{stem(name)}/{file}" in self.files:
            return f"{stem(name)}/{file}"
        return file if "/" not in file and file in self.files else None

    def stamp(self, inputs: list[str]) -> Stamp:
        return tuple((rel, self.files.get(rel)) for rel in inputs)


def list_inbox(fs: AbstractFileSystem, root: str) -> Listing:
    """The briefs at the top of `root` and the files of their folders (not other folders)."""
    fs.invalidate_cache()  # remote drivers cache listings: a poll must see the changes
    listing = Listing()
    for info in fs.ls(root, detail=True):
        name = info["name"].rstrip("/")
        base = posixpath.basename(name)
        if base.startswith(".") or base == REJECTED or name == root:
            continue
        if info["type"] == "directory":
            listing.dirs.add(base)
        else:
            listing.files[base] = _stat(info)
    for folder in sorted(listing.dirs & {stem(n) for n in listing.briefs}):
        for path, info in fs.find(posixpath.join(root, folder), detail=True).items():
            rel = posixpath.relpath(path, root)
            if info["type"] == "file" and not any(p.startswith(".") for p in rel.split("/")):
                listing.files[rel] = _stat(info)
    return listing


def _stat(info: dict[str, Any]) -> Stat:
    # each driver names its modification time differently; memory:// renews `created`
    keys = ("mtime", "LastModified", "last_modified", "updated", "created", "ETag", "etag")
    changed = next((info[k] for k in keys if info.get(k) is not None), "")
    return int(info.get("size") or 0), str(changed)


class Settling:
    """When each file was first seen as it is now: one still being written is never read."""

    def __init__(self, settle_s: float) -> None:
        self.settle_s = settle_s
        self._since: dict[str, tuple[Stat, float]] = {}

    def update(self, listing: Listing, now: float) -> None:
        old = self._since
        self._since = {
            rel: old[rel] if rel in old and old[rel][0] == st else (st, now)
            for rel, st in listing.files.items()
        }

    def settled(self, inputs: list[str], now: float) -> bool:
        """Every input that exists unchanged for settle_s (seen on scans that far apart)."""
        seen = [self._since[rel][1] for rel in inputs if rel in self._since]
        return all(now - since >= self.settle_s for since in seen)


class _Changed(FileSystemEventHandler):
    def __init__(self, changed: threading.Event) -> None:
        self._changed = changed

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type not in UNCHANGED:
            self._changed.set()


class Wakeup:
    """Waits between scans; with a local `folder`, a change in it (watchdog) ends the wait."""

    def __init__(self, stop: threading.Event, folder: str | None) -> None:
        self._stop, self._folder = stop, folder
        self._changed = threading.Event()
        self._observer: BaseObserver | None = None

    def __enter__(self) -> Wakeup:
        if self._folder is not None:
            self._observer = Observer()
            self._observer.schedule(_Changed(self._changed), self._folder, recursive=True)
            self._observer.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join()
            self._observer = None

    def wait(self, timeout: float) -> None:
        """Until the folder changed, `timeout` seconds passed or stop was set."""
        if self._observer is None:
            self._stop.wait(timeout)
            return
        deadline = time.monotonic() + timeout
        while not self._stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0 or self._changed.wait(min(left, STOP_CHECK_S)):
                break
        self._changed.clear()  # the scan that follows sees every change made until now


__all__ = ["BRIEF_SUFFIXES", "REJECTED", "Listing", "Settling", "Wakeup", "list_inbox", "stem"]
