"""Labelled creatives for the palette check: is a dominant colour of the final image off the
brand's palette?

Three palettes (the example brand's warm browns, a navy/blue/mint one, a plum/amber one). Each
creative is drawn at its real size from brand-coloured parts: a background (a flat brand
colour, a gradient between two of them, one under a dark edge scrim, a black-and-white photo,
a photo tinted in a brand colour (duotone), grey noise), a panel, a shaded product, a headline,
a CTA pill in the accent, sometimes a logo-sized brand badge; two thirds JPEG q90/q95.

The answer is known by construction, in the terms the check is stated in (ΔE2000 to the
nearest brand colour or sRGB blend of two of them, black or white; neutral below Lab chroma
10; dominant from 4 % of the image), with margins either side:
- off-brand: a colour at least ΔE 18 from everything on-brand, chroma ≥ 20, covering 7–40 %
  of the canvas (a panel, a large shape, the background itself); or a colour photograph whose
  own pixels are ≥ 15 % that far off (scikit-image's rocket under a night sky, a tabby cat);
- on-brand: no such colour, or one covering at most 1.5 % (a badge), or a colour within ΔE 5
  of a brand colour however large (a kit hex re-typed by hand, JPEG's chroma shift).
"""

from __future__ import annotations

import io
import itertools
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
import skimage.data
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont
from skimage.color import deltaE_ciede2000, rgb2lab

import creative_automation
from creative_automation.colour import RGB, parse_hex
from creative_automation.compliance.palette import palette_findings

from . import Outcome

Array = NDArray[np.uint8]
BOLD = Path(creative_automation.__file__).parent / "fonts" / "NotoSans-Bold.ttf"
SIZES = ((1080, 1920), (1080, 1080), (1920, 1080))
PALETTES: dict[str, tuple[tuple[str, str], ...]] = {
    "aurora": (("primary", "#2B1B17"), ("accent", "#E07A2E"), ("light", "#F4E9DC"),
               ("secondary", "#6B8F71")),
    "harbour": (("primary", "#1D3557"), ("secondary", "#457B9D"), ("light", "#A8DADC"),
                ("accent", "#E63946"), ("background", "#F1FAEE")),
    "koa": (("primary", "#7A1C50"), ("accent", "#F5A623"), ("light", "#FFF4E0"),
            ("text", "#222222")),
}  # fmt: skip
OFF_DELTA = 18.0  # an off-brand colour is at least this far (ΔE2000) from everything on-brand
HARD_DELTA = 13.0  # ... or, for a hard case, this far (the check's threshold is 10)
NEAR_DELTA = 7.0  # a near-brand colour at most this far from a brand colour
OFF_SHARE = (0.07, 0.40)  # of the canvas: dominant with room to spare (the rule says 4 %)
BADGE_SHARE = 0.015  # an off-brand badge this small is not dominant
MARGIN = (0.025, 0.06)  # an off-brand colour covering a share in between is left out
PHOTO_OFF_SHARE = 0.15  # a colour photo is off-brand when this much of it is that far off
KINDS = ("flat", "gradient", "scrim", "mono-photo", "duotone", "grey-noise")


def palette(name: str) -> list[tuple[str, RGB]]:
    return [(role, parse_hex(h)) for role, h in PALETTES[name]]


def _lab(rgb: NDArray[np.floating] | list[RGB]) -> NDArray[np.float64]:
    arr = np.asarray(rgb, np.float64).reshape(-1, 1, 3) / 255.0
    return np.asarray(rgb2lab(arr), np.float64).reshape(-1, 3)


@lru_cache(maxsize=8)
def on_brand_lab(name: str) -> NDArray[np.float64]:
    """Lab of everything on-brand for a palette: its colours and, finely sampled (32 steps,
    twice the check's own), the sRGB blends of every two of them, black and white."""
    anchors = [c for _, c in palette(name)] + [(0, 0, 0), (255, 255, 255)]
    t = np.linspace(0, 1, 33)[:, None]
    pairs = itertools.combinations(anchors, 2)
    return _lab(np.concatenate([np.asarray(a) * (1 - t) + np.asarray(b) * t for a, b in pairs]))


def off_by(name: str, rgb: NDArray[np.floating]) -> NDArray[np.float64]:
    """ΔE2000 of each colour (N×3 RGB) from the nearest on-brand colour of a palette, over
    every reference (no shortcut: Euclidean Lab distance ranks deep blues wrongly)."""
    lab, refs = _lab(rgb), on_brand_lab(name)
    out = np.empty(len(lab))
    for i in range(0, len(lab), 64):
        d = deltaE_ciede2000(lab[i : i + 64, None, :], refs[None])  # type: ignore[no-untyped-call]
        out[i : i + 64] = np.asarray(d, np.float64).min(1)
    return out


def off_colour(name: str, rng: np.random.Generator, *, hard: bool) -> RGB:
    """A chromatic colour OFF_DELTA or more from everything on-brand for the palette (hard:
    HARD_DELTA up to OFF_DELTA, a colour a brand guardian would still call a different one)."""
    lo, hi = (HARD_DELTA, OFF_DELTA) if hard else (OFF_DELTA, 1e9)
    while True:
        c = rng.integers(0, 256, (32, 3))
        lab = _lab(c.astype(np.float64))
        off = off_by(name, c.astype(np.float64))
        ok = (np.hypot(lab[:, 1], lab[:, 2]) >= 20) & (off >= lo) & (off < hi)
        if ok.any():
            r, g, b = (int(v) for v in c[np.flatnonzero(ok)[0]])
            return (r, g, b)


def near_colour(name: str, rng: np.random.Generator) -> RGB:
    """A colour within NEAR_DELTA of one of the palette's chromatic colours (not the colour)."""
    brand = [c for _, c in palette(name)]
    while True:
        base = np.asarray(brand[int(rng.integers(0, len(brand)))], np.int64)
        c = np.clip(base + rng.integers(-16, 17, 3), 0, 255)
        lab = _lab(c.astype(np.float64))
        d = float(np.asarray(deltaE_ciede2000(lab, _lab(base.astype(np.float64)))).ravel()[0])  # type: ignore[no-untyped-call]
        if 2.0 <= d <= NEAR_DELTA and np.hypot(lab[0, 1], lab[0, 2]) >= 12:
            r, g, b = (int(v) for v in c)
            return (r, g, b)


# --- drawing -------------------------------------------------------------------------------


@lru_cache(maxsize=16)
def _grey_photo(name: str, w: int, h: int) -> Array:
    """A scikit-image photo in grey (3 channels), cropped to cover w×h."""
    src = np.asarray(getattr(skimage.data, name)())
    grey = src if src.ndim == 2 else cv2.cvtColor(src[..., :3], cv2.COLOR_RGB2GRAY)
    return _cover(np.repeat(grey[..., None], 3, 2), w, h)


@lru_cache(maxsize=16)
def _colour_photo(name: str, w: int, h: int) -> Array:
    return _cover(np.asarray(getattr(skimage.data, name)())[..., :3], w, h)


def _cover(src: Array, w: int, h: int) -> Array:
    sh, sw = src.shape[:2]
    s = max(w / sw, h / sh)
    big = cv2.resize(src, (round(sw * s) + 1, round(sh * s) + 1), interpolation=cv2.INTER_CUBIC)
    x, y = (big.shape[1] - w) // 2, (big.shape[0] - h) // 2
    return np.ascontiguousarray(big[y : y + h, x : x + w], np.uint8)


def _gradient(w: int, h: int, a: RGB, b: RGB) -> Array:
    t = (np.arange(h, dtype=np.float32) / max(1, h - 1))[:, None, None]
    row = np.asarray(a, np.float32) * (1 - t) + np.asarray(b, np.float32) * t
    return np.ascontiguousarray(np.broadcast_to(row, (h, w, 3)), np.uint8)


def background(kind: str, name: str, w: int, h: int, rng: np.random.Generator) -> Array:
    """An on-brand background of the named kind for the palette."""
    brand = [c for _, c in palette(name)]
    pick = [brand[i] for i in rng.permutation(len(brand))]
    photos = ("astronaut", "coffee", "chelsea", "camera", "rocket")
    if kind == "flat":
        return np.ascontiguousarray(np.broadcast_to(np.asarray(pick[0], np.uint8), (h, w, 3)))
    if kind == "gradient":  # between two brand colours
        return _gradient(w, h, pick[0], pick[1])
    if kind == "scrim":  # a brand colour under a dark edge scrim, 55–75 %
        img = np.ascontiguousarray(np.broadcast_to(np.asarray(pick[0], np.uint8), (h, w, 3)))
        level = float(rng.choice([0.55, 0.65, 0.75]))
        ramp = np.clip(np.linspace(level, -0.2, h // 2), 0, 1)[:, None, None]
        img[: h // 2] = (img[: h // 2] * (1 - ramp)).astype(np.uint8)
        return img
    photo = photos[int(rng.integers(0, len(photos)))]
    if kind == "mono-photo":
        return _grey_photo(photo, w, h).copy()
    if kind == "duotone":  # a photo tinted in a brand colour: its shades, then its tints
        g = np.arange(256, dtype=np.float32)[:, None] / 255.0
        tint = np.asarray(pick[0], np.float32)[None, :]
        table = np.where(g < 0.5, tint * (2 * g), tint + (255 - tint) * (2 * g - 1))
        return np.ascontiguousarray(table.astype(np.uint8)[_grey_photo(photo, w, h)[..., 0]])
    noise = rng.normal(128, 40, (h // 8, w // 8, 1)).astype(np.float32)
    smooth = cv2.resize(cv2.GaussianBlur(noise, (0, 0), 2), (w, h), interpolation=cv2.INTER_CUBIC)
    return np.repeat(np.clip(smooth, 0, 255).astype(np.uint8)[..., None], 3, 2)


def _shade(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], colour: RGB) -> None:
    """A product can in a brand colour, shaded across (its shades: blends with black)."""
    x0, y0, x1, y1 = box
    for i, x in enumerate(range(x0, x1)):
        k = 0.55 + 0.45 * np.sin(np.pi * (0.1 + 0.8 * i / max(1, x1 - x0)))
        draw.line([(x, y0), (x, y1)], fill=tuple(int(c * k) for c in colour))


@dataclass(frozen=True)
class Case:
    name: str
    image: Array
    palette: str
    expected: bool  # an off-brand dominant colour is on it


def make(
    name: str,
    size: tuple[int, int],
    kind: str,
    problem: str,
    rng: np.random.Generator,
    jpeg: int | None,
) -> Case | None:
    """One creative. problem: "none", "off-panel", "off-background", "off-shape",
    "badge" (off-brand but tiny), "near" (a near-brand colour, large)."""
    w, h = size
    short = min(w, h)
    brand = [c for _, c in palette(name)]
    img = background(kind if problem != "off-background" else "flat", name, w, h, rng)
    canvas = Image.fromarray(img)
    d = ImageDraw.Draw(canvas)
    hard = bool(rng.random() < 0.5)
    off = None
    if problem.startswith("off") or problem == "badge":
        off = off_colour(name, rng, hard=hard)
    share = rng.uniform(*OFF_SHARE)
    if problem == "off-background" and off is not None:
        canvas.paste(off, (0, 0, w, h))
        share = 1.0
    # a panel across the canvas: a brand colour, or the off-brand / near-brand one
    ph = round(h * (share if problem == "off-panel" else rng.uniform(0.15, 0.3)))
    py = int(rng.integers(0, h - ph + 1))
    panel = {"off-panel": off, "near": near_colour(name, rng)}.get(problem)
    if panel is not None or rng.random() < 0.6:
        colour = panel if panel is not None else brand[int(rng.integers(0, len(brand)))]
        d.rounded_rectangle((0, py, w - 1, py + ph), radius=round(0.02 * short), fill=colour)
    if problem == "off-shape":  # a large circle (a sun, a plate, a price splash)
        r = round(np.sqrt(share * w * h / np.pi))
        cx, cy = int(rng.integers(r // 2, w - r // 2)), int(rng.integers(r // 2, h - r // 2))
        d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=off)
    # the product: a shaded can in a brand colour
    cw, ch = round(short * 0.25), round(short * 0.55)
    cx0, cy0 = int(rng.integers(0, w - cw)), int(rng.integers(0, h - ch))
    _shade(d, (cx0, cy0, cx0 + cw, cy0 + ch), brand[int(rng.integers(0, len(brand)))])
    # headline and CTA
    font = ImageFont.truetype(str(BOLD), round(short * 0.06))
    ink = (
        brand[0] if rng.random() < 0.3 else (255, 255, 255) if rng.random() < 0.5 else (20, 20, 24)
    )
    d.text((round(0.06 * w), round(0.1 * h)), "Summer tastes better", font=font, fill=ink)
    accent = next((c for r, c in palette(name) if r == "accent"), brand[1])
    pill = (
        round(0.06 * w),
        round(0.2 * h),
        round(0.06 * w) + round(short * 0.3),
        round(0.2 * h) + round(short * 0.09),
    )
    d.rounded_rectangle(pill, radius=round(short * 0.045), fill=accent)
    if problem == "badge":  # an off-brand sticker: real, but no dominant colour
        side = round(np.sqrt(BADGE_SHARE * w * h))
        bx, by = int(rng.integers(0, w - side)), int(rng.integers(0, h - side))
        d.ellipse((bx, by, bx + side, by + side), fill=off)
    # what is really left of the off-brand colour once everything is drawn over it
    drawn = np.asarray(canvas)
    covered = float(np.count_nonzero(cv2.inRange(drawn, off, off)) / (w * h)) if off else 0.0
    if MARGIN[0] < covered < MARGIN[1]:
        return None  # too near the rule's 4 % to say
    if jpeg:
        buf = io.BytesIO()
        canvas.save(buf, "JPEG", quality=jpeg, subsampling=0 if jpeg >= 95 else 2)
        canvas = Image.open(buf).convert("RGB")
    label = f"{name}/{w}x{h}/{kind}/{problem}-{covered:.0%}" + (
        f"/jpeg-q{jpeg}" if jpeg else "/png"
    )
    return Case(label, np.asarray(canvas), name, covered >= MARGIN[1])


@lru_cache(maxsize=1)
def photo_cases() -> list[Case]:
    """Colour photographs full-bleed, labelled by their own pixels against each palette:
    off-brand when ≥ 15 % of them are ΔE 18 or more from everything on-brand (and chromatic);
    a photo between the margins says nothing and is left out."""
    out = []
    for photo, name in itertools.product(("rocket", "chelsea", "coffee", "astronaut"), PALETTES):
        img = _colour_photo(photo, 1080, 1920)
        sample = img[::16, ::16].reshape(-1, 3) // 8 * 8 + 4  # steps of 8: fewer colours
        px, inverse = np.unique(sample, axis=0, return_inverse=True)
        lab = _lab(px.astype(np.float64))
        far = (off_by(name, px.astype(np.float64)) >= OFF_DELTA) & (np.hypot(*lab[:, 1:].T) >= 10)
        if far[inverse.ravel()].mean() >= PHOTO_OFF_SHARE:
            out.append(Case(f"{name}/1080x1920/photo-{photo}/off-photo/png", img, name, True))
    return out


def cases(seed: int = 0, n: int = 84) -> list[Case]:
    """Deterministic cases: half with an off-brand dominant colour, half without."""
    rng = np.random.default_rng(seed)
    problems = ("off-panel", "off-shape", "off-background", "none", "badge", "near")
    out = []
    combos = list(itertools.product(PALETTES, problems, KINDS))  # 108: every pairing
    for i, k in enumerate(rng.permutation(len(combos))[:n]):
        name, problem, kind = combos[int(k)]
        size = SIZES[i % len(SIZES)]
        jpeg = (None, 90, 95)[int(rng.integers(0, 3))]
        case = make(name, size, kind, problem, rng, jpeg)
        if case is not None:
            out.append(case)
    return out + list(photo_cases())


def outcomes(seed: int = 0) -> list[Outcome]:
    """palette_off_brand on every case (flagged: warn), timed."""
    out = []
    for case in cases(seed):
        t0 = time.perf_counter()
        found = palette_findings(case.image, palette(case.palette))
        ms = (time.perf_counter() - t0) * 1000
        status = next(f.status for f in found if f.check == "palette_off_brand")
        out.append(Outcome("palette_off_brand", case.name, case.expected, status == "warn", ms))
    return out


__all__ = ["cases", "off_by", "outcomes", "palette"]
