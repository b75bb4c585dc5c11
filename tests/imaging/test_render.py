"""Rendering: text colour, scrim/panel and CTA colours chosen by measured contrast."""

from __future__ import annotations

import numpy as np
from PIL import Image

from creative_automation.formats import resolve_format
from creative_automation.imaging.geometry import Box
from creative_automation.imaging.layout import Layout, plan_layout
from creative_automation.imaging.logo import LogoPair
from creative_automation.imaging.render import (
    INK,
    WHITE,
    _cta_colours,
    _ratio,
    render_creative,
)
from creative_automation.imaging.stats import BackgroundStats

FMT = resolve_format("1:1")
SUBJECT = Box(340, 560, 740, 1000)


def layout_on(bg: np.ndarray, logo_aspect: float | None = None) -> Layout:
    layout = plan_layout(
        BackgroundStats(bg), FMT, SUBJECT, "Fresh every morning", "Order now", "en-US", logo_aspect
    )
    assert layout is not None
    return layout


def contrast_of(rendered_findings: list) -> float:  # type: ignore[type-arg]
    return float(next(f.value for f in rendered_findings if f.check == "contrast"))


def test_dark_text_on_light_background_without_scrim() -> None:
    bg = np.full((1080, 1080, 3), 235, np.uint8)
    out = render_creative(bg, layout_on(bg), accent=(20, 80, 200), brand_primary=None, logo=None)
    assert out.text_color == INK and out.treatment == "none"
    assert contrast_of(out.findings) >= 4.5
    assert out.image.shape == (1080, 1080, 3)
    assert (out.image != bg).any()


def test_white_text_on_dark_background() -> None:
    bg = np.full((1080, 1080, 3), 25, np.uint8)
    out = render_creative(bg, layout_on(bg), accent=(20, 80, 200), brand_primary=None, logo=None)
    assert out.text_color == WHITE and out.treatment == "none"


def test_busy_background_gets_a_treatment_that_passes() -> None:
    rng = np.random.default_rng(1)
    bg = rng.integers(0, 256, (1080, 1080, 3), dtype=np.uint8)
    out = render_creative(
        bg, layout_on(bg), accent=(20, 80, 200), brand_primary=(20, 60, 40), logo=None
    )
    assert out.treatment != "none" and out.corrections
    assert contrast_of(out.findings) >= 4.5


def test_mid_grey_background_needs_help() -> None:
    bg = np.full((1080, 1080, 3), 122, np.uint8)  # fails 4.5:1 with both white and near-black
    assert _ratio(WHITE, (122, 122, 122)) < 4.5 and _ratio(INK, (122, 122, 122)) < 4.5
    out = render_creative(bg, layout_on(bg), accent=(20, 80, 200), brand_primary=None, logo=None)
    assert out.treatment.startswith("scrim") and contrast_of(out.findings) >= 4.5


def test_cta_colours_pass_contrast() -> None:
    for accent in [(242, 193, 78), (20, 80, 200), (128, 128, 128), (230, 90, 60)]:
        pill, label = _cta_colours(accent)
        assert _ratio(pill, label) >= 4.5, accent


def test_logo_variant_follows_background() -> None:
    mark = Image.new("RGBA", (300, 100), (10, 10, 10, 255))
    white = Image.new("RGBA", (300, 100), (255, 255, 255, 255))
    pair = LogoPair(on_light=mark, on_dark=white, name="logo")
    dark = np.full((1080, 1080, 3), 20, np.uint8)
    out = render_creative(
        dark, layout_on(dark, 3.0), accent=(200, 80, 20), brand_primary=None, logo=pair
    )
    assert out.logo_variant == "on_dark"
    light = np.full((1080, 1080, 3), 240, np.uint8)
    layout = layout_on(light, 3.0)
    out = render_creative(light, layout, accent=(200, 80, 20), brand_primary=None, logo=pair)
    assert out.logo_variant == "on_light"
    assert layout.logo_box is not None
    lb = layout.logo_box
    assert out.image[lb.y0 + 50, lb.x0 + 50].max() < 60, "the dark mark is drawn in its box"


def test_contrast_is_measured_on_the_pixels_the_creative_has() -> None:
    """What the treatment chooser measured is what the composed creative shows behind the text."""
    from creative_automation.imaging.render import _choose_treatment, _ink_mask, _with_treatment

    rng = np.random.default_rng(7)
    bg = rng.integers(60, 200, (1080, 1080, 3), dtype=np.uint8)
    layout = layout_on(bg)
    block = layout.text
    out = render_creative(bg, layout, accent=(20, 80, 200), brand_primary=None, logo=None)
    mask, area = _ink_mask(
        block.headline, block.headline_box, round(0.3 * block.headline.size), 1080, 1080
    )
    ink = np.asarray(mask) > 64
    _, treatment, _ = _choose_treatment(bg, block, ink, area, None)
    expected = _with_treatment(bg, area, treatment, block)
    composed = out.image[area.y0 : area.y1, area.x0 : area.x1]
    untouched = np.asarray(mask) == 0  # pixels with no glyph coverage at all
    if block.cta_box is not None:  # the button is drawn later, over its own box
        c = block.cta_box.shift(-area.x0, -area.y0).clamp(area.width, area.height)
        untouched[c.y0 : c.y1, c.x0 : c.x1] = False
    assert untouched.sum() > 1000
    assert np.array_equal(composed[untouched], expected[untouched])
