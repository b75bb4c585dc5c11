"""A campaign's output folder, written in a hidden staging folder and swapped in atomically."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import OutputError


@contextmanager
def campaign_folder(out_dir: Path, campaign_id: str) -> Iterator[tuple[Path, Path]]:
    """Yield (staging, final): write into staging; on success it replaces final in two renames
    (readers see the old campaign or the new one, never a mix); on any failure it is removed and
    final is untouched. File-system failures become OutputError naming the folder."""
    out_dir = out_dir.resolve()  # worker processes must not depend on the working directory
    final = out_dir / campaign_id
    staging = out_dir / f".{campaign_id}.{uuid.uuid4().hex[:8]}.partial"
    try:
        staging.mkdir(parents=True)
    except OSError as exc:
        raise OutputError(f"cannot write to the output folder {out_dir}: {_why(exc)}") from None
    try:
        yield staging, final
        _swap_in(staging, final)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise OutputError(f"writing the campaign to {out_dir} failed: {_why(exc)}") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _why(exc: OSError) -> str:
    return f"{exc.strerror or exc}" + (f" ({exc.filename})" if exc.filename else "")


def _swap_in(staging: Path, final: Path) -> None:
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.{uuid.uuid4().hex[:8]}.old")
        final.rename(old)
    staging.rename(final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
