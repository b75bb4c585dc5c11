"""The Submit page's live check of a brief and the files attached to it: the API's own
intake (service/api/intake.py), so the field-path problems are the ones `cap run` and
POST /v1/campaigns give, before anything is sent."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..brief import Brief, BriefSyntax
from ..errors import BriefError, CreativeAutomationError, Problem
from ..service.api.intake import KIT_SUFFIXES, brief_from_text, named_files
from ..settings import Settings

EXAMPLE = "aurora-summer.yaml"
ATTACHABLE = {
    ".png",
    ".jpg",
    ".jpeg",
    ".webp",
    ".ttf",
    ".otf",
    ".ttc",
    ".woff",
    ".woff2",
    *KIT_SUFFIXES,
}


@dataclass(frozen=True)
class Checked:
    """A brief as checked: the parsed brief (None when it has problems), every problem with
    its field path, and which of the files it names are attached."""

    brief: Brief | None
    problems: list[Problem]
    named: list[str] = field(default_factory=list)  # every file the brief names
    missing: list[str] = field(default_factory=list)  # named, not attached

    @property
    def ready(self) -> bool:
        return self.brief is not None and not self.problems and not self.missing


def syntax_of(name: str) -> BriefSyntax:
    return "json" if name.lower().endswith(".json") else "yaml"


def check(name: str, text: str, attached: Mapping[str, bytes], settings: Settings) -> Checked:
    """Check the brief `text` (file name `name`) with the files `attached` (by name)."""
    if not text.strip():
        return Checked(None, [Problem("", "the brief is empty")])
    # as the API takes them: any attached YAML or JSON file may be the kit the brief names
    kits = {n: data for n, data in attached.items() if n.lower().endswith(KIT_SUFFIXES)}
    try:
        submission = brief_from_text(text.encode(), syntax_of(name), settings, kits)
    except BriefError as exc:
        return Checked(None, exc.problems)
    except CreativeAutomationError as exc:  # a brief over the deployment's limits
        return Checked(None, [Problem("", str(exc))])
    images, fonts = named_files(submission.brief)
    named = sorted(images | fonts | ({submission.kit} if submission.kit else set()))
    return Checked(
        submission.brief,
        [],
        named=named,
        missing=[n for n in named if n not in attached],
    )


def example(folder: Path) -> tuple[str, dict[str, bytes]] | None:
    """The example brief's text and every file beside it that it names (its kit, the kit's
    logo, its product photos), or None when `folder` has no example."""
    brief = folder / EXAMPLE
    if not brief.is_file():
        return None
    text = brief.read_text(encoding="utf-8")
    files = {p.name: p.read_bytes() for d in (folder, folder / "assets") for p in _files(d)}
    return text, files


def _files(folder: Path) -> list[Path]:
    """The files in `folder` a brief can name (images, kits, fonts), the brief itself not."""
    if not folder.is_dir():
        return []
    return [
        p
        for p in sorted(folder.iterdir())
        if p.is_file() and p.name != EXAMPLE and p.suffix.lower() in ATTACHABLE
    ]


__all__ = ["EXAMPLE", "Checked", "check", "example", "syntax_of"]
