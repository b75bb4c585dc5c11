"""The Submit page's live check of a brief and the files attached to it: the API's own
intake (service/api/intake.py), so the field-path problems are the ones `cap run` and
POST /v1/campaigns give, before anything is sent."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..brief import Brief, BriefSyntax
from ..errors import BriefError, CreativeAutomationError, Problem
from ..service.api.intake import brief_from_text, named_files
from ..settings import Settings

EXAMPLE = "aurora-summer.yaml"
KIT_SUFFIXES = (".yaml", ".yml", ".json")
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
    unused: list[str] = field(default_factory=list)  # attached, never named (not sent)

    @property
    def ready(self) -> bool:
        return self.brief is not None and not self.problems and not self.missing


def syntax_of(name: str) -> BriefSyntax:
    return "json" if name.lower().endswith(".json") else "yaml"


def kit_name(text: str) -> str | None:
    """The brand kit file a brief names (`brand: kit.yaml`), if it names one."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    brand = data.get("brand") if isinstance(data, dict) else None
    return brand if isinstance(brand, str) and brand.lower().endswith(KIT_SUFFIXES) else None


def check(name: str, text: str, attached: Mapping[str, bytes], settings: Settings) -> Checked:
    """Check the brief `text` (file name `name`) with the files `attached` (by name)."""
    if not text.strip():
        return Checked(None, [Problem("", "the brief is empty")])
    kit = kit_name(text)
    kits = {kit: attached[kit]} if kit and kit in attached else {}
    try:
        submission = brief_from_text(text.encode(), syntax_of(name), settings, kits)
    except BriefError as exc:
        return Checked(None, exc.problems)
    except CreativeAutomationError as exc:  # a brief over the deployment's limits
        return Checked(None, [Problem("", str(exc))])
    images, fonts = named_files(submission.brief)
    named = sorted(images | fonts | set(kits))
    return Checked(
        submission.brief,
        [],
        named=named,
        missing=[n for n in named if n not in attached],
        unused=sorted(set(attached) - set(named)),
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


__all__ = ["EXAMPLE", "Checked", "check", "example", "kit_name", "syntax_of"]
