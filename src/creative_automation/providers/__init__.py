"""Image providers behind one protocol, chosen by short name; `procedural` works offline."""

from __future__ import annotations

from collections.abc import Callable

from creative_automation.errors import ConfigError
from creative_automation.providers.base import (
    PACKAGE_SHAPES,
    GenerationRequest,
    GenerationResult,
    ImageProvider,
    PackageShape,
)
from creative_automation.providers.procedural import ProceduralProvider

IMAGE_PROVIDERS: dict[str, Callable[[], ImageProvider]] = {
    "procedural": ProceduralProvider,
}


def build_image_provider(name: str = "procedural") -> ImageProvider:
    """The image provider registered under `name`; ConfigError lists the known names."""
    try:
        factory = IMAGE_PROVIDERS[name]
    except KeyError:
        known = ", ".join(sorted(IMAGE_PROVIDERS))
        raise ConfigError(f"unknown image provider {name!r}; known providers: {known}") from None
    return factory()


__all__ = [
    "IMAGE_PROVIDERS",
    "PACKAGE_SHAPES",
    "GenerationRequest",
    "GenerationResult",
    "ImageProvider",
    "PackageShape",
    "ProceduralProvider",
    "build_image_provider",
]
