"""The provider interface: request validation, hex colours, the registry and its errors."""

from __future__ import annotations

from typing import get_args

import pytest

from creative_automation.errors import ConfigError
from creative_automation.providers import (
    IMAGE_PROVIDERS,
    PACKAGE_SHAPES,
    GenerationRequest,
    PackageShape,
    ProceduralProvider,
    build_image_provider,
)
from creative_automation.providers.base import parse_hex


def request(**overrides: object) -> GenerationRequest:
    fields: dict[str, object] = {
        "product_id": "p1",
        "product_name": "Citrus Sparkling Water",
        "description": "",
        "prompt": "a can",
        "palette": ("#0B3D2E",),
        "width": 64,
        "height": 64,
        "seed": 0,
    }
    fields.update(overrides)
    return GenerationRequest(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "rgb"),
    [
        ("#0B3D2E", (11, 61, 46)),
        ("#0b3d2e", (11, 61, 46)),
        ("0B3D2E", (11, 61, 46)),
        ("#FFF", (255, 255, 255)),
        ("#1a2", (17, 170, 34)),
    ],
)
def test_parse_hex_accepts_short_long_and_any_case(text: str, rgb: tuple[int, int, int]) -> None:
    assert parse_hex(text) == rgb


@pytest.mark.parametrize("text", ["", "#12345", "#GGGGGG", "red", "#1234567", "rgb(1,2,3)"])
def test_parse_hex_rejects_malformed_colours(text: str) -> None:
    with pytest.raises(ValueError, match="hex colour"):
        parse_hex(text)


def test_request_rejects_a_malformed_palette_colour() -> None:
    with pytest.raises(ValueError, match="not-a-colour"):
        request(palette=("#0B3D2E", "not-a-colour"))


@pytest.mark.parametrize(("width", "height"), [(0, 64), (64, 0), (-5, 64), (8193, 64)])
def test_request_rejects_impossible_sizes(width: int, height: int) -> None:
    with pytest.raises(ValueError, match="image size"):
        request(width=width, height=height)


def test_request_rejects_an_unknown_shape() -> None:
    with pytest.raises(ValueError, match="cylinder"):
        request(shape="cylinder")


def test_request_accepts_an_empty_palette_and_every_shape() -> None:
    for shape in PACKAGE_SHAPES:
        assert request(palette=(), shape=shape).shape == shape


def test_package_shapes_lists_the_literal() -> None:
    assert set(PACKAGE_SHAPES) == set(get_args(PackageShape))
    assert set(PACKAGE_SHAPES) == {"can", "bottle", "box", "tube", "bar", "jar", "pouch"}


def test_build_image_provider_defaults_to_procedural() -> None:
    provider = build_image_provider()
    assert isinstance(provider, ProceduralProvider)
    assert provider.name == "procedural"
    assert isinstance(build_image_provider("procedural"), ProceduralProvider)


def test_build_image_provider_names_the_unknown_one_and_lists_the_known() -> None:
    with pytest.raises(ConfigError) as caught:
        build_image_provider("nope")
    message = str(caught.value)
    assert "'nope'" in message
    assert "procedural" in message


def test_registry_names_match_provider_names() -> None:
    for short_name, factory in IMAGE_PROVIDERS.items():
        assert factory().name == short_name
