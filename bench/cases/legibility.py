"""Labelled creatives for compliance.placement: text contrast, type size and safe zone.

Each creative is a 9:16 story (1080×1920) or a 1:1 square with a headline (Noto Sans Bold),
a CTA label on a pill button and a disclaimer line (Noto Sans Regular), all set and drawn by
the project's own typography (fit_text, draw_text), over flat colours, gradients (down and
across the text) and scikit-image photographs under no, a light or a dark panel; then PNG, or
JPEG q90 4:4:4 (the pipeline's export) or q85 4:2:0 (what a platform re-encodes to).

The answer is known by construction: each text's contrast as the renderer measures it (its
own glyph mask over the pixels before the text, text_contrast) against WCAG's 4.5:1, or 3:1
for large text (the headline and the CTA, set bold at ≥ 24 px here; the disclaimer is
regular at 30 px: normal text). On flats the text colour is chosen for a target contrast,
close on both sides of the line (2.8 / 3.2 for large text, 4.2 / 4.8 for normal). Type size:
text set under or over the field's minimum by ≥ 8 %, measured from the pixels (no size
given). Safe zone: the headline inside the safe area or pushed 4–120 px past one of its edges.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
import skimage.data
from numpy.typing import NDArray
from PIL import Image, ImageDraw

from creative_automation.compliance.findings import Finding
from creative_automation.compliance.legibility import (
    MIN_CONTRAST,
    MIN_CONTRAST_LARGE,
    contrast_ratio,
    relative_luminance,
    text_contrast,
)
from creative_automation.compliance.placement import (
    TextOnImage,
    legibility_findings,
)
from creative_automation.formats import Format, resolve_format
from creative_automation.imaging.geometry import Box
from creative_automation.imaging.layout import CTA_RATIO_MIN
from creative_automation.imaging.rules import rules_for, safe_area
from creative_automation.imaging.typography import FittedText, Weight, draw_text, fit_text

from . import Outcome

Rgb = NDArray[np.uint8]
RGB = tuple[int, int, int]
WHITE: RGB = (255, 255, 255)
INK: RGB = (20, 20, 24)
HEADLINES = (
    "Fresh roast, delivered every morning",
    "Summer sale: 30% off everything",
    "Cold brew, bold and smooth",
    "Taste the difference today",
)
CTAS = ("Order now", "Shop the range", "Try it today")
DISCLAIMER = "Terms apply. Offer valid in participating stores until 31 Dec 2026."
PHOTOS = ("astronaut", "coffee", "chelsea", "rocket")
FLATS: tuple[RGB, ...] = (
    (245, 245, 245),
    (20, 30, 70),
    (230, 90, 60),
    (40, 120, 80),
    (128, 128, 128),
    (242, 193, 78),
)
PILLS: tuple[RGB, ...] = ((224, 122, 46), (31, 58, 95), (242, 193, 78), (140, 47, 57))
# target contrasts on flats: (headline, CTA label on its pill, disclaimer)
TARGETS = ((2.8, 3.2, 4.8), (3.2, 2.8, 4.2), (2.5, 6.0, 3.6), (6.0, 2.6, 7.0), (4.0, 4.5, 5.5))
ENCODINGS: tuple[tuple[int, int] | None, ...] = (None, (90, 0), (85, 2))  # (quality, subsampling)
HEADLINE_PX, CTA_PX, DISCLAIMER_PX = 96, 40, 30


def _lum(rgb: RGB) -> float:
    return float(relative_luminance(np.array(rgb, np.float32)))


def _ratio(a: RGB, b: RGB) -> float:
    return float(contrast_ratio(_lum(a), _lum(b)))


def grey_for(target: float, ground: RGB) -> RGB:
    """The neutral grey whose contrast with ground is nearest target, on the side (lighter or
    darker) that can reach it."""
    greys = [(v, v, v) for v in range(256)]
    lighter = _ratio(WHITE, ground) >= _ratio((0, 0, 0), ground) or _ratio(WHITE, ground) >= target
    if _ratio(WHITE, ground) < target:
        lighter = False
    if _ratio((0, 0, 0), ground) < target:
        lighter = True
    side = [g for g in greys if (_lum(g) > _lum(ground)) == lighter]
    return min(side, key=lambda g: abs(_ratio(g, ground) - target))


@lru_cache(maxsize=16)
def _photo(name: str, width: int, height: int) -> Rgb:
    """A photograph scaled to cover the canvas and centre-cropped."""
    src = np.asarray(getattr(skimage.data, name)())[..., :3]
    s = max(width / src.shape[1], height / src.shape[0])
    size = (round(src.shape[1] * s) + 1, round(src.shape[0] * s) + 1)
    big = np.asarray(cv2.resize(src, size, interpolation=cv2.INTER_CUBIC), np.uint8)
    y, x = (big.shape[0] - height) // 2, (big.shape[1] - width) // 2
    return np.ascontiguousarray(big[y : y + height, x : x + width])


def _gradient(fmt: Format, a: RGB, b: RGB, across: bool) -> Rgb:
    n = fmt.width if across else fmt.height
    t = np.linspace(0.0, 1.0, n, dtype=np.float32)
    ramp = np.array(a, np.float32) * (1 - t[:, None]) + np.array(b, np.float32) * t[:, None]
    line = np.round(ramp).astype(np.uint8)
    if across:
        return np.ascontiguousarray(np.broadcast_to(line[None], (fmt.height, fmt.width, 3)))
    return np.ascontiguousarray(np.broadcast_to(line[:, None], (fmt.height, fmt.width, 3)))


def _panel(bg: Rgb, box: Box, level: float, colour: RGB) -> Rgb:
    """A flat panel of colour at level opacity over box (a scrim's flat part)."""
    out = bg.copy()
    region = out[box.y0 : box.y1, box.x0 : box.x1].astype(np.float32)
    mixed = region * (1 - level) + np.array(colour, np.float32) * level
    out[box.y0 : box.y1, box.x0 : box.x1] = np.round(mixed).astype(np.uint8)
    return out


def _fitted(text: str, weight: Weight, size: int, width: int, lines: int) -> FittedText:
    fitted = fit_text(
        text,
        "en-US",
        weight=weight,
        box_width=width,
        box_height=size * 2 * lines,
        max_lines=lines,
        min_size=size,
        max_size=size,
    )
    if fitted is None:
        raise ValueError(f"{text!r} does not fit {width} px at {size} px")
    return fitted


@dataclass
class Canvas:
    """A creative being drawn: its pixels, its texts and what the renderer would measure."""

    fmt: Format
    pixels: Rgb
    texts: list[TextOnImage]
    truths: list[float]

    def draw(
        self, field: str, fitted: FittedText, at: tuple[int, int], colour: RGB, large: bool
    ) -> Box:
        """Draw fitted with its top-left at `at`; record its box and its renderer contrast."""
        box = Box(at[0], at[1], at[0] + fitted.width, at[1] + fitted.height)
        area = box.expand(round(0.3 * fitted.size)).clamp(self.fmt.width, self.fmt.height)
        mask = Image.new("L", (area.width, area.height))
        draw_text(mask, fitted, box.shift(-area.x0, -area.y0), fill=255)
        before = self.pixels[area.y0 : area.y1, area.x0 : area.x1]
        truth = text_contrast(before, np.asarray(mask) > 64, colour)
        img = Image.fromarray(self.pixels)
        draw_text(img, fitted, box, fill=colour)
        self.pixels = np.asarray(img)
        self.texts.append(TextOnImage(field, box, None, large))
        self.truths.append(truth)
        return box

    def button(self, label: FittedText, at: tuple[int, int], pill: RGB, colour: RGB) -> None:
        """A CTA: a pill in colour pill, its label centred; the box recorded is the pill's (as
        the pipeline's layout hands it to the checks)."""
        pad_x, pad_y = round(0.9 * label.size), round(0.45 * label.size)
        box = Box(at[0], at[1], at[0] + label.width + 2 * pad_x, at[1] + label.height + 2 * pad_y)
        img = Image.fromarray(self.pixels)
        ImageDraw.Draw(img).rounded_rectangle(
            (box.x0, box.y0, box.x1 - 1, box.y1 - 1), radius=box.height // 2, fill=pill
        )
        self.pixels = np.asarray(img)
        self.draw("cta", label, (box.x0 + pad_x, box.y0 + pad_y), colour, True)
        self.texts[-1] = TextOnImage("cta", box, None, True)

    def encoded(self, encoding: tuple[int, int] | None) -> Rgb:
        if encoding is None:
            return self.pixels
        buf = io.BytesIO()
        Image.fromarray(self.pixels).save(buf, "JPEG", quality=encoding[0], subsampling=encoding[1])
        return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))


def _backgrounds(fmt: Format) -> Iterator[tuple[str, Rgb, tuple[float, float, float] | None]]:
    """(name, pixels, contrast targets or None: white or near-black text by the ground)."""
    for i, colour in enumerate(FLATS):
        for j in (0, 1):
            targets = TARGETS[(2 * i + j) % len(TARGETS)]
            yield f"flat{colour}", np.full((fmt.height, fmt.width, 3), colour, np.uint8), targets
    yield "gradient-down", _gradient(fmt, (30, 40, 90), (230, 200, 170), False), None
    yield "gradient-down-light", _gradient(fmt, (250, 230, 200), (120, 80, 60), False), None
    yield "gradient-across", _gradient(fmt, (240, 240, 240), (60, 60, 60), True), None
    yield "gradient-across-dark", _gradient(fmt, (10, 20, 40), (160, 170, 190), True), None
    band = safe_area(fmt).expand(20)
    for name in PHOTOS:
        photo = _photo(name, fmt.width, fmt.height)
        yield f"{name}", photo, None
        yield f"{name}/light-panel-0.65", _panel(photo, band, 0.65, WHITE), None
        for level in (0.3, 0.55, 0.75):
            yield f"{name}/dark-panel-{level}", _panel(photo, band, level, (0, 0, 0)), None


def _text_colour(pixels: Rgb, box: Box, *, better: bool = True) -> RGB:
    """White or near-black: the one that stands out more from the mean behind box (or less)."""
    mean = float(relative_luminance(pixels[box.y0 : box.y1, box.x0 : box.x1]).mean())
    white = float(contrast_ratio(1.0, mean)) >= float(contrast_ratio(mean, _lum(INK)))
    return WHITE if white == better else INK


def _status(findings: list[Finding], check: str, field: str) -> str:
    return next(f.status for f in findings if f.check == check and f.detail.startswith(field))


def _codec(encoding: tuple[int, int] | None) -> str:
    if encoding is None:
        return "png"
    return f"jpeg-q{encoding[0]}-{'444' if encoding[1] == 0 else '420'}"


@dataclass(frozen=True)
class Creative:
    """A drawn creative: its name, its pixels as delivered and its texts with their contrast
    as the renderer measures it."""

    name: str
    fmt: Format
    pixels: Rgb
    texts: list[TextOnImage]
    truths: list[float]


def contrast_creatives(seed: int = 0) -> Iterator[Creative]:
    """Headline, CTA and disclaimer over every ground, in the story and (a sample) the square.
    On photos every other creative takes the text colour that stands out less."""
    rng = np.random.default_rng(seed)
    for fmt in (resolve_format("9:16"), resolve_format("1:1")):
        safe = safe_area(fmt)
        grounds = list(_backgrounds(fmt))
        if fmt.ratio == "1:1":  # the square repeats a sample of the story's grounds
            grounds = grounds[::3]
        for n, (name, bg, targets) in enumerate(grounds):
            message = HEADLINES[int(rng.integers(len(HEADLINES)))]
            headline = _fitted(message, "bold", HEADLINE_PX, safe.width - 40, 3)
            cta = _fitted(CTAS[int(rng.integers(len(CTAS)))], "bold", CTA_PX, safe.width, 1)
            small = _fitted(DISCLAIMER, "regular", DISCLAIMER_PX, safe.width - 40, 2)
            x, y = safe.x0 + 10, safe.y0 + 10
            head_box = Box(x, y, x + headline.width, y + headline.height)
            cta_at = (x, head_box.y1 + 40)
            small_at = (x, safe.y1 - small.height - 10)
            small_box = Box(*small_at, small_at[0] + small.width, small_at[1] + small.height)
            pill = PILLS[n % len(PILLS)]
            if targets is not None:
                ground: RGB = (int(bg[0, 0, 0]), int(bg[0, 0, 1]), int(bg[0, 0, 2]))
                colours = (
                    grey_for(targets[0], ground),
                    grey_for(targets[1], pill),
                    grey_for(targets[2], ground),
                )
            else:
                better = n % 2 == 0
                label = WHITE if (_ratio(WHITE, pill) >= _ratio(INK, pill)) == better else INK
                colours = (
                    _text_colour(bg, head_box, better=better),
                    label,
                    _text_colour(bg, small_box, better=better),
                )
            canvas = Canvas(fmt, bg.copy(), [], [])
            canvas.draw("headline", headline, (x, y), colours[0], True)
            canvas.button(cta, cta_at, pill, colours[1])
            canvas.draw("disclaimer", small, small_at, colours[2], False)
            encoding = ENCODINGS[(n + int(rng.integers(3))) % len(ENCODINGS)]
            yield Creative(
                f"{fmt.ratio}/{n:02d}-{name}/{_codec(encoding)}",
                fmt,
                canvas.encoded(encoding),
                canvas.texts,
                canvas.truths,
            )


def _contrast_outcomes(seed: int) -> list[Outcome]:
    out: list[Outcome] = []
    for creative in contrast_creatives(seed):
        start = time.perf_counter()
        findings = legibility_findings(creative.pixels, creative.fmt, creative.texts)
        ms = (time.perf_counter() - start) * 1000 / len(creative.texts)
        for text, truth in zip(creative.texts, creative.truths, strict=True):
            limit = MIN_CONTRAST_LARGE if text.large else MIN_CONTRAST
            flagged = _status(findings, "contrast_measured", text.field) != "pass"
            case = f"{creative.name}/{text.field}/renderer-{truth:.2f}"
            out.append(Outcome("contrast_measured", case, truth < limit, flagged, ms))
    return out


def _size_rules(fmt: Format) -> dict[str, int]:
    """The minimum each field is held to (as compliance.placement states them)."""
    headline = rules_for(fmt).headline_min
    return {
        "headline": headline,
        "cta": max(12, int(np.ceil(headline * CTA_RATIO_MIN))),
        "disclaimer": rules_for(fmt).small_print_min,
    }


# type sizes as a share of the field's minimum: under it by ≥ 8 % (a problem) or over it
SIZE_SHARES = (0.72, 0.85, 0.92, 1.08, 1.2, 1.45)


def _height_outcomes(seed: int) -> list[Outcome]:
    out: list[Outcome] = []
    rng = np.random.default_rng(seed + 1)
    for fmt in (resolve_format("9:16"), resolve_format("1:1")):
        safe = safe_area(fmt)
        photo = _panel(
            _photo(PHOTOS[seed % len(PHOTOS)], fmt.width, fmt.height), safe, 0.7, (0, 0, 0)
        )
        grounds = (("white", np.full_like(photo, 245), INK), ("photo/dark-panel", photo, WHITE))
        for field, minimum in _size_rules(fmt).items():
            for k, share in enumerate(SIZE_SHARES):
                size = max(8, round(minimum * share))
                ground, bg, colour = grounds[k % 2]
                canvas = Canvas(fmt, bg.copy(), [], [])
                at = (safe.x0 + 10, safe.y0 + 10)
                if field == "cta":
                    canvas.button(
                        _fitted(CTAS[k % len(CTAS)], "bold", size, safe.width, 1),
                        at,
                        PILLS[1],
                        WHITE,
                    )
                else:
                    text = (
                        HEADLINES[rng.integers(len(HEADLINES))]
                        if field == "headline"
                        else DISCLAIMER
                    )
                    weight: Weight = "bold" if field == "headline" else "regular"
                    canvas.draw(
                        field,
                        _fitted(text, weight, size, safe.width - 40, 4),
                        at,
                        colour,
                        field != "disclaimer",
                    )
                encoding = ENCODINGS[k % len(ENCODINGS)]
                start = time.perf_counter()
                findings = legibility_findings(canvas.encoded(encoding), fmt, canvas.texts)
                ms = (time.perf_counter() - start) * 1000
                flagged = _status(findings, "text_height", field) != "pass"
                case = f"{fmt.ratio}/{ground}/{field}/{size}px-of-min-{minimum}"
                out.append(Outcome("text_height", case, size < minimum, flagged, ms))
    return out


# (edge, px past it; 0: inside, touching that edge)
PLACEMENTS = (
    ("left", 0), ("top", 0), ("right", 0), ("bottom", 0),
    ("left", 4), ("left", 40), ("top", 6), ("top", 120),
    ("right", 12), ("bottom", 8), ("bottom", 100), ("inside", 0),
)  # fmt: skip


def _placed(safe: Box, width: int, height: int, edge: str, past: int) -> tuple[int, int]:
    x = {"left": safe.x0 - past, "right": safe.x1 - width + past}.get(edge, safe.x0 + 30)
    y = {"top": safe.y0 - past, "bottom": safe.y1 - height + past}.get(edge, safe.y0 + 30)
    return x, y


def _safe_zone_outcomes(seed: int) -> list[Outcome]:
    out: list[Outcome] = []
    for fmt in (resolve_format("9:16"), resolve_format("1:1")):
        safe = safe_area(fmt)
        bg = _photo(PHOTOS[(seed + 1) % len(PHOTOS)], fmt.width, fmt.height)
        for k, (edge, past) in enumerate(PLACEMENTS):
            headline = _fitted(
                HEADLINES[(seed + k) % len(HEADLINES)], "bold", 64, safe.width - 80, 2
            )
            canvas = Canvas(
                fmt, _panel(bg, Box(0, 0, fmt.width, fmt.height), 0.6, (0, 0, 0)), [], []
            )
            canvas.draw(
                "headline",
                headline,
                _placed(safe, headline.width, headline.height, edge, past),
                WHITE,
                True,
            )
            start = time.perf_counter()
            findings = legibility_findings(canvas.pixels, fmt, canvas.texts)
            ms = (time.perf_counter() - start) * 1000
            flagged = _status(findings, "safe_zone", "headline") != "pass"
            case = f"{fmt.ratio}/{edge}/{past}px-past" if past else f"{fmt.ratio}/{edge}/inside"
            out.append(Outcome("safe_zone", case, past > 0, flagged, ms))
    return out


def outcomes(seed: int = 0) -> list[Outcome]:
    """contrast_measured, text_height and safe_zone outcomes (deterministic for a seed)."""
    return _contrast_outcomes(seed) + _height_outcomes(seed) + _safe_zone_outcomes(seed)


__all__ = ["outcomes"]
