"""Campaign files: uploaded inputs and finished outputs, in a local folder by default or under
any fsspec URL (s3://…) that every machine of the service shares."""

from __future__ import annotations

import posixpath
import uuid
from pathlib import Path, PurePosixPath

import fsspec
from fsspec import AbstractFileSystem
from fsspec.implementations.local import LocalFileSystem

from ..errors import ConfigError, NotFound, OutputError

MANIFEST = "manifest.json"
# optional drivers by URL scheme, as extras of this package
_EXTRAS = {
    "s3": "pip install 'creative-automation[s3]'",
    "gs": "pip install 'creative-automation[gcs]'",
    "gcs": "pip install 'creative-automation[gcs]'",
    "az": "pip install 'creative-automation[azure]'",
    "abfs": "pip install 'creative-automation[azure]'",
}
INPUTS = ".inputs"  # uploaded briefs' assets, per campaign, beside the outputs


class OutputStore:
    """Campaign folders under one root: `<root>/<campaign id>/manifest.json`, `report.html`
    and the creatives. A campaign is complete when its manifest is there: it is written last."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._fs: AbstractFileSystem
        try:
            self._fs, root = fsspec.core.url_to_fs(url)
        except ImportError as exc:  # the URL's driver (s3fs, gcsfs, …) is not installed
            scheme = url.split("://", 1)[0]
            hint = _EXTRAS.get(scheme, f"the fsspec driver for {scheme}://")
            raise ConfigError(f"CAP_STORAGE_URL {scheme}://… needs {hint} ({exc})") from None
        except ValueError as exc:  # an unknown protocol
            raise ConfigError(f"CAP_STORAGE_URL {url!r} is not usable: {exc}") from None
        self._root = root.rstrip("/") or "/"
        self._local = isinstance(self._fs, LocalFileSystem)

    def uri(self, campaign_id: str) -> str:
        """Where the campaign's folder is, as a URL another machine can open."""
        path = self._path(campaign_id)
        return path if self._local else self._fs.unstrip_protocol(path)

    def publish(self, folder: Path, campaign_id: str) -> str:
        """Copy a finished local campaign folder to its place, manifest last; returns its URI.

        Locally the folder is copied beside its target and swapped in with renames (readers see
        the old campaign or the new one, never a mix); remote stores get every creative first
        and the manifest last, so a reader that finds the manifest finds everything it names.
        """
        target = self._path(campaign_id)
        files = sorted(p for p in folder.rglob("*") if p.is_file())
        ordered = [p for p in files if p.name != MANIFEST] + [
            p for p in files if p.name == MANIFEST
        ]
        try:
            if self._local:
                staging = f"{target}.{uuid.uuid4().hex[:8]}.partial"
                self._put(ordered, folder, staging)
                old = f"{target}.{uuid.uuid4().hex[:8]}.old"
                if self._fs.exists(target):
                    self._fs.mv(target, old, recursive=True)
                self._fs.mv(staging, target, recursive=True)
                if self._fs.exists(old):
                    self._fs.rm(old, recursive=True)
            else:
                self._put(ordered, folder, target)
        except OSError as exc:
            raise OutputError(
                f"cannot publish campaign {campaign_id} to {self.url}: {exc}"
            ) from None
        return self.uri(campaign_id)

    def _put(self, files: list[Path], folder: Path, target: str) -> None:
        for path in files:
            dest = posixpath.join(target, path.relative_to(folder).as_posix())
            self._fs.makedirs(posixpath.dirname(dest), exist_ok=True)
            self._fs.put_file(str(path), dest)

    def exists(self, campaign_id: str) -> bool:
        """True when the campaign's folder is complete (its manifest is there)."""
        return bool(self._fs.exists(posixpath.join(self._path(campaign_id), MANIFEST)))

    def files(self, campaign_id: str) -> list[str]:
        """Every file of the campaign, relative to its folder, sorted."""
        base = self._path(campaign_id)
        if not self._fs.exists(base):
            raise NotFound(f"campaign {campaign_id} has no outputs in {self.url}")
        found = self._fs.find(base)
        return sorted(posixpath.relpath(self._fs._strip_protocol(p), base) for p in found)

    def read(self, campaign_id: str, relpath: str) -> bytes:
        """One file of the campaign; a path outside its folder is NotFound, never read."""
        path = posixpath.join(self._path(campaign_id), _confined(relpath))
        try:
            data: bytes = self._fs.cat_file(path)
        except (FileNotFoundError, IsADirectoryError):
            raise NotFound(f"campaign {campaign_id} has no file {relpath!r}") from None
        return data

    def put(self, campaign_id: str, relpath: str, data: bytes) -> None:
        """Write one output file of the campaign (a creative as it is finished, the manifest
        last); on local disk through a temporary file and a rename, never half a file."""
        path = posixpath.join(self._path(campaign_id), _confined(relpath))
        try:
            self._fs.makedirs(posixpath.dirname(path), exist_ok=True)
            if self._local:
                tmp = f"{path}.{uuid.uuid4().hex[:8]}.tmp"
                self._fs.pipe_file(tmp, data)
                self._fs.mv(tmp, path)
            else:
                self._fs.pipe_file(path, data)
        except OSError as exc:
            raise OutputError(
                f"cannot write {relpath!r} of {campaign_id} to {self.url}: {exc}"
            ) from None

    def put_input(self, campaign_id: str, name: str, data: bytes) -> None:
        """Keep an uploaded asset of the campaign (its brief names it by `name`)."""
        path = posixpath.join(self._root, INPUTS, _confined(campaign_id), _confined(name))
        try:
            self._fs.makedirs(posixpath.dirname(path), exist_ok=True)
            self._fs.pipe_file(path, data)
        except OSError as exc:
            raise OutputError(f"cannot store input {name!r} in {self.url}: {exc}") from None

    def fetch_inputs(self, campaign_id: str, dest: Path) -> list[str]:
        """Copy the campaign's uploaded assets into the local folder `dest`; their names."""
        base = posixpath.join(self._root, INPUTS, _confined(campaign_id))
        if not self._fs.exists(base):
            return []
        names = []
        for found in sorted(self._fs.find(base)):
            rel = posixpath.relpath(self._fs._strip_protocol(found), base)
            target = dest / _confined(rel)
            target.parent.mkdir(parents=True, exist_ok=True)
            self._fs.get_file(found, str(target))
            names.append(rel)
        return names

    def _path(self, campaign_id: str) -> str:
        return posixpath.join(self._root, _confined(campaign_id))


def _confined(relpath: str) -> str:
    """`relpath` as a clean relative POSIX path; anything that could climb out is NotFound."""
    pure = PurePosixPath(relpath)
    if not relpath or "\\" in relpath or "\x00" in relpath or pure.is_absolute():
        raise NotFound(f"no such file: {relpath!r}")
    if any(part in ("..", ".", "") for part in relpath.split("/")):
        raise NotFound(f"no such file: {relpath!r}")
    return pure.as_posix()


__all__ = ["INPUTS", "MANIFEST", "OutputStore"]
