"""Labelled creatives for the logo checks: is the brand's logo there, large enough, clear of the
text and the canvas edges, off the subject?

Three synthetic brands (a one-colour wordmark drawn in the bundled Noto Sans, a one-colour
shape mark with a cut-out, a two-colour symbol + wordmark lockup) with the light and dark
variants the brand kit loader derives. Each creative is a real background (light and dark
gradients, smooth noise, scikit-image photographs, flat colours, a drawn product), sometimes an
edge scrim, a headline and a CTA pill in Noto Sans, and then either the brand's logo pasted as
render.py pastes it (LANCZOS to size, the variant that contrasts more with what is behind it,
alpha-composited) or no logo, often with something that looks like one instead: a lookalike
of the mark, another brand's mark, scikit-image's own logo. Half are JPEG-encoded at q90–95.

The answer is known by construction: where the logo was pasted, how wide, how far from the
text boxes, the edges and the subject box. Margins around each threshold keep a case from
hinging on a pixel (too small is ≤ 85 % of the minimum width, large enough ≥ 110 %; tight clear
space ≤ 0.35 × the logo's height, enough ≥ 0.7 ×; off the subject ≥ 12 px away).
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
import skimage.data
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

import creative_automation
from creative_automation.compliance.brand import logo_findings
from creative_automation.compliance.legibility import contrast_ratio, relative_luminance
from creative_automation.imaging.geometry import Box
from creative_automation.imaging.logo import LogoPair, logo_pair

from . import Outcome

FONTS = Path(creative_automation.__file__).parent / "fonts"
BOLD, REGULAR = FONTS / "NotoSans-Bold.ttf", FONTS / "NotoSans-Regular.ttf"
SIZES = ((1080, 1920), (1080, 1080), (1920, 1080))
MIN_WIDTH = 0.12  # the brand kit's minimum logo width, share of the shorter side (layout rules)
CLEAR = 0.5  # clear space, × the logo's height (DESIGN-GUIDE)
# photographs and where their subject is (share of the source's width and height)
PHOTOS: dict[str, tuple[float, float, float, float]] = {
    "astronaut": (0.25, 0.0, 0.62, 0.45),  # face and shoulders
    "coffee": (0.28, 0.02, 0.67, 0.62),  # the cup
    "chelsea": (0.3, 0.15, 0.8, 0.85),  # eyes to nose
    "rocket": (0.45, 0.3, 0.55, 0.98),
    "hubble_deep_field": (0.4, 0.4, 0.6, 0.6),
}
HEADLINES = (
    "Summer tastes better cold",
    "Fresh roast, every morning",
    "Made for the long weekend",
    "Light, bright and ready",
    "Your new daily ritual",
)
Array = NDArray[np.uint8]
RGB = tuple[int, int, int]

_SCALE = 4  # marks are drawn large and reduced: anti-aliased edges, like a real brand file


def _reduced(img: Image.Image) -> Image.Image:
    small = img.resize((img.width // _SCALE, img.height // _SCALE), Image.Resampling.LANCZOS)
    return small.crop(small.getchannel("A").getbbox())


def wordmark(text: str, ink: RGB, font: Path = BOLD, size: int = 90) -> Image.Image:
    """A one-colour wordmark."""
    f = ImageFont.truetype(str(font), size * _SCALE)
    left, top, right, bottom = (round(v) for v in f.getbbox(text))
    pad = 8 * _SCALE
    img = Image.new("RGBA", (right - left + 2 * pad, bottom - top + 2 * pad), (0, 0, 0, 0))
    ImageDraw.Draw(img).text((pad - left, pad - top), text, font=f, fill=(*ink, 255))
    return _reduced(img)


def hexagon(ink: RGB, *, cut: bool = True, hole: float = 0.2) -> Image.Image:
    """A one-colour shape mark: a hexagon with a keyhole cut-out (cut=False: plain)."""
    s = 160 * _SCALE
    img = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    angles = np.pi / 3 * np.arange(6) + np.pi / 6
    d.polygon(
        [(s / 2 + s * 0.48 * np.cos(a), s / 2 + s * 0.48 * np.sin(a)) for a in angles], (*ink, 255)
    )
    if cut:
        r = s * hole
        d.ellipse((s / 2 - r, s / 2 - r, s / 2 + r, s / 2 + r), fill=(0, 0, 0, 0))
        d.rectangle((s / 2 - s * 0.06, 0, s / 2 + s * 0.06, s / 2), fill=(0, 0, 0, 0))
    return _reduced(img)


def ring(ink: RGB) -> Image.Image:
    """A logo-like shape that is no brand's: a thick ring."""
    s = 160 * _SCALE
    img = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    ImageDraw.Draw(img).ellipse((0, 0, s - 1, s - 1), outline=(*ink, 255), width=s // 5)
    return _reduced(img)


def lockup(
    tile: RGB, sun: RGB, name: str = "Koa", tag: str = "tea", *, fan: bool = True
) -> Image.Image:
    """A two-colour lockup: a rounded tile with a symbol, then a wordmark in both colours."""
    h = 130 * _SCALE
    img = Image.new("RGBA", (5 * h, h), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((0, 0, h, h), radius=28 * _SCALE, fill=(*tile, 255))
    if fan:
        d.pieslice((h * 0.18, h * 0.18, h * 0.82, h * 0.82), 200, 340, fill=(*sun, 255))
        d.ellipse((h * 0.38, h * 0.5, h * 0.62, h * 0.74), fill=(*sun, 255))
    else:  # a star: another brand's symbol in the same tile
        a = np.pi / 5 * np.arange(10) - np.pi / 2
        r = np.where(np.arange(10) % 2 == 0, 0.34 * h, 0.14 * h)
        d.polygon(list(zip(h / 2 + r * np.cos(a), h / 2 + r * np.sin(a), strict=True)), (*sun, 255))
    bold = ImageFont.truetype(str(BOLD), 72 * _SCALE)
    d.text((h + 18 * _SCALE, h / 2), name, font=bold, fill=(*tile, 255), anchor="lm")
    x = h + 18 * _SCALE + bold.getlength(name) + 6 * _SCALE
    light = ImageFont.truetype(str(REGULAR), 40 * _SCALE)
    d.text((x, h / 2 + 8 * _SCALE), tag, font=light, fill=(*sun, 255), anchor="lm")
    return _reduced(img)


@dataclass(frozen=True)
class Brand:
    pair: LogoPair
    lookalikes: tuple[tuple[str, Image.Image], ...]  # marks that are not this brand's logo

    @property
    def variants(self) -> list[tuple[str, Image.Image]]:
        return [("on_light", self.pair.on_light), ("on_dark", self.pair.on_dark)]


@lru_cache(maxsize=1)
def brands() -> tuple[Brand, ...]:
    navy, teal, plum, amber = (29, 53, 87), (0, 122, 110), (122, 28, 80), (245, 166, 35)
    # scikit-image's own logo (RGBA); its data functions carry no type hints
    sk_logo = Image.fromarray(np.asarray(skimage.data.logo()))  # type: ignore[no-untyped-call]
    lumen = wordmark("LUMEN", navy)
    hexa = hexagon(teal)
    koa = lockup(plum, amber)
    return (
        Brand(
            logo_pair(lumen, None, "lumen"),
            (
                ("other brand's wordmark", wordmark("NORDA", navy)),
                ("same word, other weight", wordmark("Lumen", navy, REGULAR)),
                ("another brand's lockup", koa),
            ),
        ),
        Brand(
            logo_pair(hexa, None, "hexa"),
            (
                ("plain hexagon", hexagon(teal, cut=False)),
                ("ring", ring(teal)),
                ("scikit-image logo", sk_logo),
            ),
        ),
        Brand(
            logo_pair(koa, None, "koa"),
            (
                ("same tile, other symbol and name", lockup(plum, amber, "Kai", "co", fan=False)),
                ("another brand's wordmark", lumen),
                ("scikit-image logo", sk_logo),
            ),
        ),
    )


# --- backgrounds ---------------------------------------------------------------------------


@lru_cache(maxsize=16)
def _photo(name: str, w: int, h: int) -> tuple[Array, Box]:
    """A scikit-image photograph cropped to cover w×h (centred), and its subject box."""
    src: Array = np.asarray(getattr(skimage.data, name)())
    sh, sw = src.shape[:2]
    s = max(w / sw, h / sh)
    big = cv2.resize(src, (round(sw * s), round(sh * s)), interpolation=cv2.INTER_CUBIC)
    x, y = (big.shape[1] - w) // 2, (big.shape[0] - h) // 2
    fx0, fy0, fx1, fy1 = PHOTOS[name]
    subject = Box(
        round(fx0 * sw * s) - x,
        round(fy0 * sh * s) - y,
        round(fx1 * sw * s) - x,
        round(fy1 * sh * s) - y,
    ).clamp(w, h)
    return np.ascontiguousarray(big[y : y + h, x : x + w], np.uint8), subject


def _gradient(w: int, h: int, top: RGB, bottom: RGB, angle: float) -> Array:
    """A linear gradient from `top` to `bottom`, tilted by `angle` (radians from vertical);
    drawn at 1/8 and enlarged linearly, which reproduces a linear ramp."""
    sw, sh = max(2, w // 8), max(2, h // 8)
    down = np.cos(angle) * np.arange(sh, dtype=np.float32)[:, None] / sh
    across = np.sin(angle) * np.arange(sw, dtype=np.float32)[None, :] / sw
    t = np.clip(down + across, 0, 1)[..., None]
    small = np.asarray(top, np.float32) * (1 - t) + np.asarray(bottom, np.float32) * t
    return np.asarray(cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR), np.uint8)


def _noise(w: int, h: int, rng: np.random.Generator, dark: bool) -> Array:
    """Smooth coloured noise with film grain, like an out-of-focus backdrop."""
    base, span = (0.05, 0.35) if dark else (0.6, 0.38)
    small = (base + span * rng.random((max(2, h // 90), max(2, w // 90), 3))) * 255
    big = cv2.resize(small.astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    tile = rng.normal(0, 0.03 * 255, (128, 128, 1)).astype(np.float32)  # grain, repeated
    grain = np.tile(tile, (h // 128 + 1, w // 128 + 1, 1))[:h, :w]
    return np.asarray(np.clip(big + grain, 0, 255), np.uint8)


def _product(canvas: Array, rng: np.random.Generator) -> Box:
    """A drawn can (rounded body, shaded, a label band): the subject of a non-photo creative."""
    h, w = canvas.shape[:2]
    short = min(w, h)
    cw, ch = round(short * rng.uniform(0.22, 0.32)), round(short * rng.uniform(0.5, 0.7))
    x0 = round(rng.uniform(0.2, 0.8) * (w - cw))
    y0 = round(rng.uniform(0.25, 0.75) * (h - ch))
    body = np.asarray(rng.integers(40, 230, 3), np.float32)
    shade = 0.55 + 0.45 * np.sin(np.linspace(0.2, np.pi - 0.2, cw))[None, :, None]
    mask = Image.new("L", (cw, ch))
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, cw - 1, ch - 1), radius=cw // 5, fill=255)
    a = np.asarray(mask, np.float32)[..., None] / 255.0
    region = canvas[y0 : y0 + ch, x0 : x0 + cw].astype(np.float32)
    colour = np.broadcast_to(body * shade, (ch, cw, 3)).copy()
    colour[ch // 3 : ch // 2] = 235.0 * shade[0]  # the label
    canvas[y0 : y0 + ch, x0 : x0 + cw] = (region * (1 - a) + colour * a).astype(np.uint8)
    return Box(x0, y0, x0 + cw, y0 + ch)


def background(kind: str, w: int, h: int, rng: np.random.Generator) -> tuple[Array, Box]:
    """A background of the named kind and the box of its subject."""
    if kind in PHOTOS:
        img, subject = _photo(kind, w, h)
        return img.copy(), subject
    if kind == "gradient-light":
        img = _gradient(w, h, _tone(rng, 200, 250), _tone(rng, 160, 235), rng.uniform(0, 1.2))
    elif kind == "gradient-dark":
        img = _gradient(w, h, _tone(rng, 10, 60), _tone(rng, 30, 110), rng.uniform(0, 1.2))
    elif kind in ("noise-light", "noise-dark"):
        img = _noise(w, h, rng, kind == "noise-dark")
    else:  # flat colour
        img = np.empty((h, w, 3), np.uint8)
        img[:] = _tone(rng, 0, 255)
    return img, _product(img, rng)


def _tone(rng: np.random.Generator, lo: int, hi: int) -> RGB:
    c = rng.integers(lo, hi + 1, 3)
    return (int(c[0]), int(c[1]), int(c[2]))


def scrim(img: Array, side: str, level: float, dark: bool) -> None:
    """An edge gradient scrim like render.py's: full over the text, a soft shoulder beyond."""
    h = img.shape[0]
    length = round(h * 0.45)
    ramp = np.clip((length - np.arange(length, dtype=np.float32)) / (0.4 * length), 0, 1)
    prof = level * (0.5 - 0.5 * np.cos(np.pi * ramp))
    prof = prof if side == "top" else prof[::-1]
    rows = slice(0, length) if side == "top" else slice(h - length, h)
    a = prof[:, None, None]
    region = img[rows].astype(np.float32)
    img[rows] = (region * (1 - a) + (0.0 if dark else 255.0) * a).astype(np.uint8)


# --- one creative --------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    brand: int
    size: tuple[int, int]
    kind: str
    logo: bool
    lookalike: int | None  # index into the brand's lookalikes, when no logo
    small: bool  # logo under the minimum width
    tight: str | None  # "text" | "edge": which clearance is short; None: all enough
    overlap: bool  # logo over the subject box
    jpeg: int | None
    scrim: bool


@dataclass(frozen=True)
class Creative:
    image: Array
    kind: str  # the background drawn
    subject: Box
    text_boxes: tuple[Box, ...]
    logo_box: Box | None
    min_width: int


def _gap(a: Box, b: Box) -> int:
    """Clearance between two boxes: the larger axis gap (0 when they overlap)."""
    return max(b.x0 - a.x1, a.x0 - b.x1, b.y0 - a.y1, a.y0 - b.y1, 0)


def _edge(a: Box, w: int, h: int) -> int:
    return min(a.x0, a.y0, w - a.x1, h - a.y1)


def _uniform(rng: np.random.Generator, lo: float, hi: float) -> int:
    return round(rng.uniform(lo, max(lo, hi)))


def _place_logo(
    spec: Spec, rng: np.random.Generator, w: int, h: int, subject: Box, lw: int, lh: int
) -> Box | None:
    """A logo box meeting the spec's edge and subject labels: in a corner like a layout
    engine's half of the time, anywhere the other half (creatives made elsewhere)."""
    for _ in range(300):
        if spec.tight == "edge":  # one edge closer than 0.35 × its height, the rest far
            d = max(1, round(rng.uniform(0.08, 0.33) * lh))
            far = round(0.75 * lh)
            x, y = _uniform(rng, far, w - lw - far), _uniform(rng, far, h - lh - far)
            side = int(rng.integers(0, 4))
            x = d if side == 0 else w - lw - d if side == 1 else x
            y = d if side == 2 else h - lh - d if side == 3 else y
        elif rng.random() < 0.5:  # a corner, at a designer's margin
            mx, my = _uniform(rng, 0.75 * lh, 2.0 * lh), _uniform(rng, 0.75 * lh, 2.0 * lh)
            x = mx if rng.random() < 0.5 else w - lw - mx
            y = my if rng.random() < 0.5 else h - lh - my
        else:
            x = _uniform(rng, 0.75 * lh, w - lw - 0.75 * lh)
            y = _uniform(rng, 0.75 * lh, h - lh - 0.75 * lh)
        logo = Box(x, y, x + lw, y + lh)
        edges = sorted((x, y, w - logo.x1, h - logo.y1))
        near = edges[0] <= 0.35 * lh and edges[1] >= 0.75 * lh
        if edges[0] < 1 or (near if spec.tight == "edge" else edges[0] >= 0.75 * lh) is False:
            continue
        inter = logo.intersection(subject)
        on = inter is not None and inter.area >= 0.15 * logo.area
        if not spec.logo or (spec.overlap == on and (on or _gap(logo, subject) >= 12)):
            return logo
    return None


def _place_text(
    spec: Spec,
    rng: np.random.Generator,
    w: int,
    h: int,
    logo: Box,
    subject: Box,
    head: Box,
    pill: Box,
) -> tuple[Box, Box] | None:
    """Where the headline and the CTA under it go (`head` and `pill` give their sizes and
    offsets from the block's corner): the nearer of the two 0.08–0.33 × the logo's height
    from it when the spec says the text crowds the logo, else at least 0.75 × away."""
    lh = logo.height
    bw, bh = max(head.x1, pill.x1), pill.y1
    margin = round(0.03 * min(w, h))
    for attempt in range(400):
        if spec.tight == "text":  # beside the logo on one side, a short gap away
            gap = max(1, round(rng.uniform(0.08, 0.33) * lh))
            side = int(rng.integers(0, 4))
            if side < 2:  # above or below, aligned somewhere along it
                x = _uniform(rng, logo.x0 - bw + lh, logo.x1 - lh)
                y = logo.y0 - gap - bh if side == 0 else logo.y1 + gap
            else:
                y = _uniform(rng, logo.y0 - bh + lh // 2, logo.y1 - lh // 2)
                x = logo.x0 - gap - bw if side == 2 else logo.x1 + gap
        else:
            x, y = _uniform(rng, margin, w - bw - margin), _uniform(rng, margin, h - bh - margin)
        boxes = head.shift(x, y), pill.shift(x, y)
        if min(_edge(b, w, h) for b in boxes) < margin or any(logo.intersects(b) for b in boxes):
            continue
        if attempt < 300 and any(subject.intersects(b) for b in boxes):
            continue  # text off the subject, as a layout engine sets it, while that is possible
        gap = min(_gap(logo, b) for b in boxes)
        if not spec.logo or ((gap < 0.35 * lh) if spec.tight == "text" else (gap >= 0.75 * lh)):
            return boxes
    return None


def _text(
    draw: ImageDraw.ImageDraw,
    text: str,
    xy: tuple[int, int],
    font: ImageFont.FreeTypeFont,
    fill: RGB,
) -> Box:
    """Draw text; the box of its ink."""
    draw.text(xy, text, font=font, fill=fill)
    x0, y0, x1, y1 = draw.textbbox(xy, text, font=font)
    return Box(round(x0), round(y0), round(x1), round(y1))


def _variant(pair: LogoPair, img: Array, box: Box) -> Image.Image | None:
    """The variant that stands out more from what is behind it, as render.py picks it, at the
    box's size; None when even that one would be lost (contrast under 2:1 with the ground
    around a tenth of its outline or more: half a navy wordmark over dark noise)."""
    region = img[box.y0 : box.y1, box.x0 : box.x1]
    lum = relative_luminance(region)
    mean = float(lum.mean())
    dark = float(contrast_ratio(mean, pair.luminance(dark_background=True))) > float(
        contrast_ratio(mean, pair.luminance(dark_background=False))
    )
    mark = pair.at(box.width, box.height, dark_background=dark)
    alpha = np.asarray(mark.getchannel("A")) > 128
    grown = cv2.dilate(alpha.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    outline = lum[grown & ~alpha]
    ratio = contrast_ratio(outline, pair.luminance(dark_background=dark))
    return mark if float(np.percentile(ratio, 10)) >= 2.0 else None


def _place(
    spec: Spec,
    rng: np.random.Generator,
    img: Array,
    subject: Box,
    pair: LogoPair,
    size: tuple[int, int],
    head: Box,
    pill: Box,
) -> tuple[Box, tuple[Box, Box], Image.Image | None] | None:
    """Logo box, text boxes and the logo variant to paste, meeting the spec (or None)."""
    h, w = img.shape[:2]
    logo = _place_logo(spec, rng, w, h, subject, *size)
    if logo is None:
        return None
    mark = _variant(pair, img, logo) if spec.logo else None
    if spec.logo and mark is None:
        return None  # nobody could see this logo: not a case about finding it
    text = _place_text(spec, rng, w, h, logo, subject, head, pill)
    return None if text is None else (logo, text, mark)


def make(spec: Spec, rng: np.random.Generator) -> Creative | None:
    """Draw one creative to the spec (None: its labels cannot be met on this canvas)."""
    w, h = spec.size
    short = min(w, h)
    brand = brands()[spec.brand]
    min_width = round(MIN_WIDTH * short)
    share = rng.uniform(0.075, 0.10) if spec.small else rng.uniform(0.135, 0.30)
    mark = brand.pair.on_light
    if not spec.logo and spec.lookalike is not None:
        mark = brand.lookalikes[spec.lookalike][1]
    lw = round(share * short)
    lh = max(1, round(lw * mark.height / mark.width))
    headline = HEADLINES[int(rng.integers(0, len(HEADLINES)))]
    size = round(short * rng.uniform(0.05, 0.075))
    font = ImageFont.truetype(str(BOLD), size)
    if font.getlength(headline) > 0.8 * w:  # one line that fits, as a layout engine sets it
        size = int(size * 0.8 * w / font.getlength(headline))
        font = ImageFont.truetype(str(BOLD), size)
    left, top, right, bottom = (round(v) for v in font.getbbox(headline))
    cta_size = round(size * 0.42)
    head = Box(0, 0, right - left, bottom - top)  # the headline's ink, then the CTA under it
    y = head.y1 + round(0.4 * head.height)
    pill = Box(0, y, round(cta_size * 6.5), y + round(cta_size * 2.4))
    side = "top" if rng.random() < 0.5 else "bottom"
    level, dark = float(rng.choice([0.55, 0.65, 0.75])), bool(rng.random() < 0.7)
    # a photo's subject is where it is: when the labels cannot be met around it, a drawn
    # product on a gradient stands in (the case's name says which)
    placed = None
    for kind in (spec.kind,) * 2 + ("gradient-light", "gradient-dark"):
        img, subject = background(kind, w, h, rng)
        if spec.scrim:
            scrim(img, side, level, dark)
        for _ in range(4):
            placed = _place(spec, rng, img, subject, brand.pair, (lw, lh), head, pill)
            if placed is not None:
                break
        if placed is not None:
            break
    if placed is None:
        return None
    logo_box, (head_box, pill_box), pasted = placed
    if not spec.logo:
        pasted = (
            mark.resize((lw, lh), Image.Resampling.LANCZOS) if spec.lookalike is not None else None
        )
    canvas = Image.fromarray(img)
    draw = ImageDraw.Draw(canvas)
    hb = head_box
    behind = float(relative_luminance(img[hb.y0 : hb.y1, hb.x0 : hb.x1]).mean())
    ink: RGB = (255, 255, 255) if behind < 0.35 else (20, 20, 24)
    drawn = _text(draw, headline, (hb.x0 - left, hb.y0 - top), font, ink)
    accent = _tone(rng, 30, 220)
    draw.rounded_rectangle(pill_box.as_list(), radius=pill_box.height // 2, fill=accent)
    label = ImageFont.truetype(str(BOLD), cta_size)
    draw.text(pill_box.center, "Shop now", font=label, fill=(255, 255, 255), anchor="mm")
    if pasted is not None:
        canvas.paste(pasted, (logo_box.x0, logo_box.y0), pasted)
    if spec.jpeg:
        buf = io.BytesIO()
        canvas.save(buf, "JPEG", quality=spec.jpeg, subsampling=0 if spec.jpeg >= 95 else 2)
        canvas = Image.open(buf).convert("RGB")
    logo = logo_box if spec.logo else None
    return Creative(np.asarray(canvas), kind, subject, (drawn, pill_box), logo, min_width)


KINDS = (
    "gradient-light", "gradient-dark", "noise-light", "noise-dark", "flat",
    "astronaut", "coffee", "chelsea", "rocket", "hubble_deep_field",
)  # fmt: skip


def specs(seed: int = 0, with_logo: int = 96, without: int = 66) -> list[Spec]:
    """A deterministic, balanced set of specs: every label half of the time."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(with_logo + without):
        logo = i < with_logo
        j = i if logo else i - with_logo
        out.append(
            Spec(
                brand=j % 3,
                size=SIZES[(j // 3) % 3],
                kind=KINDS[(j * 7 + (0 if logo else 3)) % len(KINDS)],
                logo=logo,
                # no logo: a lookalike or another brand's mark two times in three
                lookalike=None if logo or j % 3 == 2 else (j // 3) % 3,
                small=logo and j % 2 == 1,
                tight=None if not logo or (j // 2) % 2 == 0 else ("text", "edge")[(j // 4) % 2],
                overlap=logo and (j // 8) % 2 == 1,
                jpeg=(None, 90, 95)[int(rng.integers(0, 3))] if rng.random() < 0.75 else None,
                scrim=bool(rng.random() < 0.35),
            )
        )
    return out


def outcomes(seed: int = 0) -> list[Outcome]:
    """Run logo_findings on every generated creative: one Outcome per check it answers
    (logo_present on every case; size, clear space and subject where the logo was pasted)."""
    out: list[Outcome] = []
    rng = np.random.default_rng(seed + 1)
    for spec in specs(seed):
        creative = make(spec, rng)
        if creative is None:
            continue
        brand = brands()[spec.brand]
        t0 = time.perf_counter()
        found = logo_findings(
            creative.image,
            brand.variants,
            min_width_px=creative.min_width,
            clear_space=CLEAR,
            subject_box=creative.subject,
            other_boxes=creative.text_boxes,
        )
        ms = (time.perf_counter() - t0) * 1000
        status = {f.check: f.status for f in found}
        name = case_name(spec, creative.kind)
        present = status["logo_present"] == "fail"
        out.append(Outcome("logo_present", name, not spec.logo, present, ms))
        if spec.logo:
            for check, expected in (
                ("logo_size", spec.small),
                ("logo_clear_space", spec.tight is not None),
                ("logo_subject", spec.overlap),
            ):
                out.append(Outcome(check, name, expected, status.get(check) == "fail", ms))
    return out


def case_name(spec: Spec, kind: str) -> str:
    """What a case is, e.g. "koa/1080x1920/rocket/small/tight-edge/off-subject/jpeg-q90"."""
    brand = brands()[spec.brand]
    parts = [brand.pair.name, "x".join(map(str, spec.size)), kind]
    if spec.logo:
        parts.append("small" if spec.small else "sized")
        parts.append(f"tight-{spec.tight}" if spec.tight else "clear")
        parts.append("on-subject" if spec.overlap else "off-subject")
    elif spec.lookalike is not None:
        parts.append(f"no-logo, {brand.lookalikes[spec.lookalike][0]}")
    else:
        parts.append("no-logo")
    parts.append(f"jpeg-q{spec.jpeg}" if spec.jpeg else "png")
    return "/".join(parts + (["scrim"] if spec.scrim else []))
