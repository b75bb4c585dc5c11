"""What made a creative, as the pipeline knows it: the input to its Content Credentials."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from creative_automation import __version__

# IPTC digital source types (https://cv.iptc.org/newscodes/digitalsourcetype/), as C2PA uses them
IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"
TRAINED_ALGORITHMIC_MEDIA = IPTC + "trainedAlgorithmicMedia"  # a model that learned from data
ALGORITHMIC_MEDIA = IPTC + "algorithmicMedia"  # a program with no learning (`procedural`)
COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA = IPTC + "compositeWithTrainedAlgorithmicMedia"

# providers whose images come from code that learned nothing: never declared as AI-generated
UNTRAINED_PROVIDERS = frozenset({"procedural"})

# the C2PA actions a creative's steps map to (C2PA 2.x standard action names)
OPENED, CREATED = "c2pa.opened", "c2pa.created"
CROPPED, RESIZED, EDITED, DRAWING, PLACED = (
    "c2pa.cropped",
    "c2pa.resized",
    "c2pa.edited",
    "c2pa.drawing",
    "c2pa.placed",
)
EDIT_ACTIONS = frozenset({CROPPED, RESIZED, EDITED, DRAWING, PLACED, "c2pa.color_adjustments"})


@dataclass(frozen=True)
class GeneratedSource:
    """The source image came from an image provider.

    `trained` says whether the generator learned from data (a diffusion or GPT image model:
    `trainedAlgorithmicMedia`) or is plain code (`algorithmicMedia`); `for_provider` decides it
    from the provider's registry name so a procedural image is never labelled AI-generated.
    """

    provider: str
    model: str
    trained: bool
    seed: int | None = None

    @classmethod
    def for_provider(cls, provider: str, model: str, seed: int | None = None) -> GeneratedSource:
        return cls(provider, model, trained=provider not in UNTRAINED_PROVIDERS, seed=seed)

    @property
    def digital_source_type(self) -> str:
        return TRAINED_ALGORITHMIC_MEDIA if self.trained else ALGORITHMIC_MEDIA


@dataclass(frozen=True)
class ReusedAsset:
    """The source image is a file the brand supplied (its bytes become the C2PA ingredient,
    so a photo that carries its own credentials keeps them as the creative's parent)."""

    title: str  # the file name, e.g. "hero.jpg"
    data: bytes = field(repr=False)
    mime: str  # "image/jpeg", "image/png", ...


@dataclass(frozen=True)
class Edit:
    """One step applied to the source: a C2PA action with an optional description."""

    action: str
    description: str | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.action not in EDIT_ACTIONS:
            raise ValueError(f"unknown edit action {self.action!r}; known: {sorted(EDIT_ACTIONS)}")

    @classmethod
    def crop(cls, box: tuple[int, int, int, int]) -> Edit:
        """Cropped (or extended) to the box (x0, y0, x1, y1) in source pixels."""
        # named fields: c2pa stores a list of small integers as a CBOR byte string
        x0, y0, x1, y1 = box
        region = {"x0": x0, "y0": y0, "x1": x1, "y1": y1}
        return cls(CROPPED, f"cropped to {x1 - x0}x{y1 - y0}", {"region": region})

    @classmethod
    def resize(cls, width: int, height: int) -> Edit:
        return cls(RESIZED, f"resized to {width}x{height}", {"width": width, "height": height})

    @classmethod
    def text(cls, description: str = "text overlay") -> Edit:
        """Copy set on the image (headline, call to action, legal line)."""
        return cls(EDITED, description)

    @classmethod
    def logo(cls, description: str = "logo overlay") -> Edit:
        return cls(EDITED, description)


@dataclass(frozen=True)
class Provenance:
    """Everything the manifest of one creative states about how it was made."""

    title: str  # the creative's file name, e.g. "es-MX.jpg"
    source: GeneratedSource | ReusedAsset
    edits: tuple[Edit, ...] = ()
    software: str = "creative-automation"
    software_version: str = __version__
