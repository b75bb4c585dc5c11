"""The agent's inbox: briefs dropped in a folder or under an fsspec URL, submitted once each."""

from __future__ import annotations

import logging
import posixpath
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import fsspec
from fsspec.implementations.local import LocalFileSystem
from pydantic import ValidationError

from ..brandkit import Brand
from ..brief import BriefSyntax, decode_brief
from ..errors import (
    AssetError,
    BriefError,
    ConfigError,
    CreativeAutomationError,
    PayloadTooLarge,
    Problem,
    UnsupportedMedia,
)
from ..service.api.intake import (
    Submission,
    brief_from_text,
    check_font,
    check_image,
    check_renderable,
)
from ..service.campaigns import request_digest, submit
from ..service.context import Service
from .inbox_watch import REJECTED, Listing, Settling, Stamp, Wakeup, list_inbox, stem

log = logging.getLogger(__name__)

ERRORS_SUFFIX = ".errors.txt"
KEY_PREFIX = "inbox:"  # the CLI shares the keyless idempotency scope
# what the person who dropped the brief got wrong; any other error is the agent's: retried
USER_ERRORS = (BriefError, AssetError, PayloadTooLarge, UnsupportedMedia)

Status = Literal["submitted", "replayed", "rejected", "waiting"]


@dataclass(frozen=True)
class InboxResult:
    """What one scan did with one brief. "replayed": the same content was submitted before,
    nothing started; "waiting": still being written (`detail` None) or the agent failed
    (`detail` says how) and tries again next scan."""

    path: str
    status: Status
    campaign_id: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class _Done:
    stamp: Stamp  # every input as listed when it was handled: unchanged → not read again
    extras: tuple[str, ...] = ()  # files beside the brief (not in its folder) that it named


class Inbox:
    """Briefs at the top of `url` (<name>.yaml|.yml|.json) with their assets in <name>/."""

    def __init__(
        self,
        service: Service,
        url: str,
        *,
        settle_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.service, self.url, self.settle_s, self._clock = service, url, settle_s, clock
        try:
            self._fs, root = fsspec.core.url_to_fs(url)
            self._fs.makedirs(root, exist_ok=True)
        except ImportError as exc:  # the URL's driver (s3fs, gcsfs, …) is not installed
            raise ConfigError(f"CAP_AGENT_INBOX {url!r} needs its fsspec driver ({exc})") from None
        except (ValueError, OSError) as exc:
            raise ConfigError(f"CAP_AGENT_INBOX {url!r} is not usable: {exc}") from None
        self._root: str = root.rstrip("/") or "/"
        self._local = isinstance(self._fs, LocalFileSystem)
        self._settling = Settling(settle_s)
        self._done: dict[str, _Done] = {}

    def scan(self) -> list[InboxResult]:
        """One pass: every new or changed brief that has settled is handled; briefs already
        handled and unchanged give no result."""
        now = self._clock()
        listing = list_inbox(self._fs, self._root)
        self._settling.update(listing, now)
        results = [r for name in listing.briefs if (r := self._handle(name, listing, now))]
        self._done = {k: v for k, v in self._done.items() if k in listing.files}
        for result in results:
            _log(result)
        return results

    def watch(
        self,
        stop: threading.Event,
        poll_s: float,
        on_result: Callable[[InboxResult], None] | None = None,
    ) -> None:
        """Scan until `stop` is set: on every change of a local folder and every `poll_s`,
        sooner while a brief is settling."""
        with Wakeup(stop, self._root if self._local else None) as wakeup:
            while not stop.is_set():
                try:
                    results = self.scan()
                except (CreativeAutomationError, OSError) as exc:
                    log.warning("inbox %s cannot be listed: %s", self.url, exc)
                    results = []
                for result in results:
                    if on_result is not None:
                        on_result(result)
                settling = any(r.status == "waiting" and r.detail is None for r in results)
                wakeup.wait(min(poll_s, self.settle_s) if settling else poll_s)

    def _handle(self, name: str, listing: Listing, now: float) -> InboxResult | None:
        done = self._done.get(name)
        inputs = listing.inputs(name, done.extras if done else ())
        if done is not None and done.stamp == listing.stamp(inputs):
            return None
        if not self._settling.settled(inputs, now):
            return InboxResult(self._uri(name), "waiting")
        extras: list[str] = []  # the files beside it that it names, as they are read
        try:
            try:
                submission = self._read(name, listing, extras)
            except USER_ERRORS as exc:
                if not self._settling.settled(extras, now):  # a half-written kit is no error
                    return InboxResult(self._uri(name), "waiting")
                return self._reject(name, exc, listing)
            if not self._settling.settled(extras, now):
                return InboxResult(self._uri(name), "waiting")
            result = None if submission is None else self._submit(name, submission)
        except (CreativeAutomationError, OSError) as exc:
            return InboxResult(self._uri(name), "waiting", detail=f"{type(exc).__name__}: {exc}")
        self._done[name] = _Done(listing.stamp(listing.inputs(name, tuple(extras))), tuple(extras))
        return result

    def _read(self, name: str, listing: Listing, extras: list[str]) -> Submission | None:
        """The brief validated as the API validates a request, with the files it names; None
        for a brand kit shared by the briefs beside it. Raises the user's errors."""
        settings = self.service.settings
        raw = self._bytes(name, listing, settings.max_brief_bytes, "CAP_MAX_BRIEF_BYTES")
        syntax: BriefSyntax = "json" if name.lower().endswith(".json") else "yaml"
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise BriefError(name, [Problem("", f"the brief is not UTF-8 text: {exc}")]) from None
        data = decode_brief(text, name, syntax=syntax)
        if _is_kit(data):
            return None
        kits: dict[str, bytes] = {}
        kit = data.get("brand") if isinstance(data, dict) else None
        if isinstance(kit, str):
            limit = settings.max_brief_bytes, "CAP_MAX_BRIEF_BYTES"
            kits[kit] = self._named(name, kit, listing, extras, "brand", "brand kit file", limit)
        try:
            submission = brief_from_text(raw, syntax, settings, kits)
        except BriefError as exc:  # its own source is the API's "request body": name the file
            source = name if exc.source == "request body" else exc.source
            raise BriefError(source, exc.problems) from None
        brief = submission.brief
        named = [(f"products[{i}].assets", a, False) for i, p in enumerate(brief.products)
                 for a in p.assets]  # fmt: skip
        if brief.brand is not None:
            named += [(path, file, True) for path, file, _ in brief.brand.files()]
        fonts = set(brief.brand.font_files()) if brief.brand else set()
        for path, file, required in named:
            if file in submission.uploads or (not required and listing.locate(name, file) is None):
                continue  # a product without its picture is generated, as the API allows
            limit = settings.max_upload_bytes, "CAP_MAX_UPLOAD_BYTES"
            data_ = self._named(name, file, listing, extras, path, "file", limit)
            if file in fonts:
                check_font(file, data_)
            else:
                check_image(file, data_, settings.max_asset_pixels)
            submission.uploads[file] = data_
        if len(submission.uploads) > settings.max_upload_files:
            raise PayloadTooLarge(
                f"{name} names {len(submission.uploads)} files; the limit is "
                f"{settings.max_upload_files} (CAP_MAX_UPLOAD_FILES)"
            )
        check_renderable(submission, name)  # fonts readable, every script covered
        return submission

    def _named(
        self,
        name: str,
        file: str,
        listing: Listing,
        extras: list[str],
        where: str,
        what: str,
        limit: tuple[int, str],
    ) -> bytes:
        """A file the brief names, from its folder or beside it; a BriefError when neither."""
        rel = listing.locate(name, file)
        if rel is None:
            raise BriefError(
                name, [Problem(where, f"names the {what} {file!r}, which is neither in the "
                               f"folder {stem(name)}/ nor beside {name} in the inbox")],
            )  # fmt: skip
        if "/" not in rel:
            extras.append(rel)
        return self._bytes(rel, listing, *limit)

    def _bytes(self, rel: str, listing: Listing, limit: int, setting: str) -> bytes:
        size = listing.files[rel][0]
        if size > limit:
            raise PayloadTooLarge(f"{rel} is {size} bytes; the limit is {limit} ({setting})")
        data: bytes = self._fs.cat_file(self._path(rel))
        return data

    def _submit(self, name: str, submission: Submission) -> InboxResult:
        # the key is the content: a re-saved identical file, or a restart, replays it
        digest = request_digest(submission.data, submission.uploads, None)
        out = submit(
            self.service,
            submission.data,
            creatives=submission.creatives,
            uploads=submission.uploads,
            idempotency_key=f"{KEY_PREFIX}{digest}",
        )
        status: Status = "submitted" if out.created else "replayed"
        return InboxResult(self._uri(name), status, out.campaign.id, out.queue_error)

    def _reject(self, name: str, exc: CreativeAutomationError, listing: Listing) -> InboxResult:
        """Move the brief and its folder into rejected/, its errors written there first."""
        text = str(exc) if isinstance(exc, BriefError) else f"{name}: {exc}"
        base = stem(name)
        suffix = name[len(base) :]
        target = self._free_name(base, suffix)
        when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        body = f"{text}\n\nSet aside by the inbox at {when}; fix it and move it back.\n"
        rejected = self._path(REJECTED)
        self._fs.makedirs(rejected, exist_ok=True)
        self._fs.pipe_file(
            posixpath.join(rejected, f"{target}{suffix}{ERRORS_SUFFIX}"), body.encode()
        )
        self._fs.mv(self._path(name), posixpath.join(rejected, f"{target}{suffix}"))
        if base in listing.dirs:
            self._fs.mv(self._path(base), posixpath.join(rejected, target), recursive=True)
        self._done.pop(name, None)
        return InboxResult(self._uri(name), "rejected", detail=text)

    def _free_name(self, stem: str, suffix: str) -> str:
        """`stem`, or `stem-2`, `stem-3`…: an earlier rejected brief is never overwritten."""
        rejected = self._path(REJECTED)
        taken: set[str] = set()
        if self._fs.exists(rejected):
            taken = {posixpath.basename(p.rstrip("/")) for p in self._fs.ls(rejected, detail=False)}
        n, candidate = 1, stem
        while {candidate, f"{candidate}{suffix}", f"{candidate}{suffix}{ERRORS_SUFFIX}"} & taken:
            n += 1
            candidate = f"{stem}-{n}"
        return candidate

    def _path(self, rel: str) -> str:
        return posixpath.join(self._root, rel)

    def _uri(self, rel: str) -> str:
        path = self._path(rel)
        return path if self._local else str(self._fs.unstrip_protocol(path))


def _is_kit(data: Any) -> bool:
    """A brand kit file beside the briefs that name it is theirs, not a brief of its own."""
    if not isinstance(data, dict) or "campaign_id" in data:
        return False
    try:
        Brand.model_validate(data)
    except ValidationError:
        return False
    return True


def _log(result: InboxResult) -> None:
    where = posixpath.basename(result.path)
    if result.status == "rejected":
        said = " ".join(line.strip() for line in (result.detail or "").splitlines())
        log.warning("inbox: %s moved to %s/: %s", where, REJECTED, said)
    elif result.status == "waiting":
        level = logging.DEBUG if result.detail is None else logging.WARNING
        log.log(level, "inbox: %s waiting: %s", where, result.detail or "still being written")
    else:
        log.info("inbox: %s %s campaign %s", where, result.status, result.campaign_id)


__all__ = ["Inbox", "InboxResult", "Status"]
