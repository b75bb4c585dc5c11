"""In-process Tesseract (tesserocr): the language data found once, an engine kept per thread.

The tesserocr wheel bundles libtesseract but not its language data, and looks for that in the
build machine's directory; the data here is the system's (Debian's `tesseract-ocr` and its
`tesseract-ocr-<pack>` packages). Initialising an engine loads the language model (10–90 ms,
up to 45 MB for chi_sim); it then reads a text line in a few milliseconds. So one engine is
kept per (thread, language packs, variables), the page segmentation mode set per call (a plain
setting: an engine per mode would hold the same model twice). A tesserocr API is not
thread-safe and releases the GIL while it recognises: threads read in parallel, each on its own.
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from ..imaging.geometry import Box

# Debian/Ubuntu's directories (Tesseract 5, then 4); others are asked of the `tesseract` binary
_SYSTEM_DIRS = ("/usr/share/tesseract-ocr/5/tessdata", "/usr/share/tesseract-ocr/4.00/tessdata")
_BINARY = "tesseract"
_NOT_INSTALLED = "Tesseract is not installed (Debian: apt install tesseract-ocr)"

# page segmentation modes used here (tesserocr.PSM values, fixed by Tesseract's C API)
PSM_BLOCK = 6  # a uniform block of text
PSM_LINE = 7  # a single text line
PSM_SPARSE = 11  # as much text as possible, in no particular order
PSM_RAW_LINE = 13  # a single line, bypassing Tesseract's own line finding


@dataclass(frozen=True)
class Installed:
    """Where the language data is and which packs it holds, or why OCR cannot run here."""

    tessdata: str | None
    packs: frozenset[str]
    why_not: str | None


@dataclass(frozen=True)
class Word:
    """One recognised word: its text, Tesseract's confidence (0–100) and its box."""

    text: str
    confidence: float
    box: Box


def _packs_in(directory: Path) -> frozenset[str]:
    return frozenset(p.name.removesuffix(".traineddata") for p in directory.glob("*.traineddata"))


def _asked_of_binary() -> Path | None:
    """The directory the system's `tesseract` reads its data from (`--list-langs` names it)."""
    binary = shutil.which(_BINARY)
    if binary is None:
        return None
    try:
        done = subprocess.run(
            [binary, "--list-langs"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    # 'List of available languages in "/usr/share/tesseract-ocr/5/tessdata/" (3):'
    found = re.search(r'languages in "([^"]+)"', done.stdout + done.stderr)
    return Path(found.group(1)) if found else None


@cache
def _library() -> ModuleType | str:
    """The tesserocr module, or why it cannot be loaded."""
    try:
        return importlib.import_module("tesserocr")
    except ImportError as exc:
        return f"tesserocr cannot be loaded ({exc}): pip install tesserocr"


@cache
def installed() -> Installed:
    """The language data this process reads: TESSDATA_PREFIX when set (Tesseract's own variable,
    the directory or its parent), else Debian's directories, else what `tesseract` reports."""
    library = _library()
    if isinstance(library, str):
        return Installed(None, frozenset(), library)
    prefix = os.environ.get("TESSDATA_PREFIX")
    if prefix:
        for candidate in (Path(prefix), Path(prefix) / "tessdata"):
            if packs := _packs_in(candidate):
                return Installed(str(candidate), packs, None)
        return Installed(None, frozenset(), f"TESSDATA_PREFIX={prefix} holds no language data")
    for directory in (*map(Path, _SYSTEM_DIRS), _asked_of_binary()):
        if directory is not None and (packs := _packs_in(directory)):
            return Installed(str(directory), packs, None)
    return Installed(None, frozenset(), _NOT_INSTALLED)


_engines = threading.local()


Variables = tuple[tuple[str, str], ...]  # Tesseract parameters fixed at initialisation


def _engine(lang: str, psm: int, variables: Variables) -> Any:
    """This thread's initialised engine for the packs ("jpn" or "jpn+eng") and variables, set to
    page segmentation mode `psm`."""
    cache: dict[tuple[str, str, Variables], Any] | None = getattr(_engines, "apis", None)
    if cache is None:
        cache = _engines.apis = {}
    where = installed()
    library = _library()
    assert where.tessdata is not None and not isinstance(library, str), "OCR unavailable"
    key = (where.tessdata, lang, variables)
    api = cache.get(key)
    if api is None:
        api = library.PyTessBaseAPI(
            path=where.tessdata.rstrip("/") + "/", lang=lang, psm=psm, variables=dict(variables)
        )
        cache[key] = api
    api.SetPageSegMode(psm)
    return api


def _set_image(api: Any, grey: np.ndarray) -> None:
    """Hand a grey uint8 array to the engine without an encode (it keeps no copy: the caller
    keeps `grey` alive until recognition is done)."""
    height, width = grey.shape
    api.SetImageBytes(grey.tobytes(), width, height, 1, width)


def read_text(grey: np.ndarray, lang: str, psm: int, variables: Variables = ()) -> str:
    """The text Tesseract reads on a grey (H×W uint8) image, dark text on light preferred."""
    api = _engine(lang, psm, variables)
    pixels = np.ascontiguousarray(grey, dtype=np.uint8)
    try:
        _set_image(api, pixels)
        return str(api.GetUTF8Text())
    finally:
        api.Clear()


def read_words(grey: np.ndarray, lang: str, psm: int, variables: Variables = ()) -> list[Word]:
    """The words Tesseract finds on a grey image, with confidences and boxes in its pixels."""
    api = _engine(lang, psm, variables)
    library = _library()
    assert not isinstance(library, str)
    pixels = np.ascontiguousarray(grey, dtype=np.uint8)
    level = library.RIL.WORD
    words: list[Word] = []
    try:
        _set_image(api, pixels)
        api.Recognize()
        iterator = api.GetIterator()
        for item in library.iterate_level(iterator, level) if iterator is not None else ():
            try:
                text = item.GetUTF8Text(level)
            except RuntimeError:  # tesserocr raises for a word with no text (a blob it gave up)
                continue
            box = item.BoundingBox(level)
            if text.strip() and box:
                words.append(Word(text.strip(), float(item.Confidence(level)), Box(*box)))
    finally:
        api.Clear()
    return words


__all__ = [
    "PSM_BLOCK",
    "PSM_LINE",
    "PSM_RAW_LINE",
    "PSM_SPARSE",
    "Installed",
    "Word",
    "installed",
    "read_text",
    "read_words",
]
