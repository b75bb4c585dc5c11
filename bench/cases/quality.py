"""Labelled set for compliance.image_quality: real photos sharp or blurred, well or badly exposed.

Sources: colour and grey photographs from skimage.data at their own resolution, and the
offline provider's own 1024² product shots (what the pipeline really receives). Defects are
made with a known size, in the terms the check is stated in:

- blur: a Gaussian of σ px *at the analysis scale* (512 px on the longer side), so a 1024²
  source gets 2σ. Sharp: σ 0 or 0.5 (the latter is invisible at 1080), also JPEG q85; blurred:
  σ 1 (borderline: soft at 1080), 1.5, 2.5, also σ 1.5 then JPEG q85 (block edges add false
  detail). A sharp product pasted on a blurred copy of its shot, judged with its subject box:
  not blurred (bokeh is a choice); the same shot blurred whole, with its box: blurred.
- exposure, changed in linear light (a gain, or the black point lifted) until the source
  itself, at its own resolution, has: 8 % of its pixels white (grey ≥ 251: fine), 14 %
  (borderline problem) or 30 % (problem); 17 % black (grey ≤ 4: fine, like the astronaut's
  own 14 %), 26 % or 40 % (problem); a mean grey of 0.20 (moody: fine; at 0.14 a mid-toned
  photo already reads as under-exposed, so that is left out), 0.10 or 0.07 (too dark), 0.93
  (too bright); and the original as it is. A histogram with a spike cannot be cut at every
  share (brick jumps from 15 % to 20 % black): a case more than 2 points off is left out.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image
from skimage import data

from creative_automation.compliance.image_quality import image_quality_findings
from creative_automation.compliance.legibility import relative_luminance
from creative_automation.imaging.geometry import Box
from creative_automation.imaging.quality import analysis_scale, exposure_of, grey_of
from creative_automation.providers.base import GenerationRequest
from creative_automation.providers.procedural import ProceduralProvider

from . import Outcome

Rgb = NDArray[np.uint8]
PHOTOS = (
    "astronaut",
    "chelsea",
    "coffee",
    "rocket",
    "immunohistochemistry",
    "camera",
    "coins",
    "brick",
    "grass",
)
PRODUCTS = (
    ("Cold Brew", "coffee in a can", ("#2B1B17", "#E07A2E", "#F4E9DC")),
    ("Face Serum", "serum in a dropper bottle", ("#1F3A5F", "#F4A259", "#F8F4EC")),
    ("Citrus Tonic", "tonic in a glass bottle", ("#5B2A86", "#F2D0A4", "#FFFFFF")),
)
# sRGB ↔ linear for 8-bit values: exposure changes are multiplications of the light
_TO_LINEAR = np.asarray(
    relative_luminance(np.repeat(np.arange(256, dtype=np.uint8)[:, None], 3, axis=1)), np.float64
)


def sources(seed: int = 0) -> list[tuple[str, Rgb, Box | None]]:
    """(name, RGB, subject box or None): skimage photographs and the provider's shots."""
    out: list[tuple[str, Rgb, Box | None]] = []
    for name in PHOTOS:
        img = np.asarray(getattr(data, name)())
        rgb = np.repeat(img[..., None], 3, axis=2) if img.ndim == 2 else img[..., :3]
        out.append((name, np.ascontiguousarray(rgb, np.uint8), None))
    provider = ProceduralProvider()
    for i, (product, description, palette) in enumerate(PRODUCTS):
        request = GenerationRequest(
            product_id=f"p{i}",
            product_name=product,
            description=description,
            prompt="",
            palette=palette,
            width=1024,
            height=1024,
            seed=seed + i,
        )
        result = provider.render(request)
        out.append((f"procedural-{i}", np.asarray(result.image.convert("RGB")), result.subject_box))
    return out


def blurred(rgb: Rgb, sigma_at_analysis: float) -> Rgb:
    if sigma_at_analysis <= 0:
        return rgb
    sigma = sigma_at_analysis / analysis_scale(rgb.shape)
    return np.asarray(cv2.GaussianBlur(rgb, (0, 0), sigma), np.uint8)


def jpeg(rgb: Rgb, quality: int = 85) -> Rgb:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))


def _curve(gain: float, black: float = 0.0) -> NDArray[np.uint8]:
    """The 8-bit lookup of an exposure change in linear light: times gain, black point lifted
    to black (a linear level); clipped at white and black."""
    light = np.clip((_TO_LINEAR * gain - black) / (1.0 - black), 0.0, 1.0)
    v = np.where(light <= 0.0031308, light * 12.92, 1.055 * np.power(light, 1 / 2.4) - 0.055)
    return np.asarray(np.clip(np.round(v * 255.0), 0, 255), np.uint8)


def exposed(rgb: Rgb, gain: float, black: float = 0.0) -> Rgb:
    return np.asarray(cv2.LUT(rgb, _curve(gain, black)), np.uint8)


def _solve(rgb: Rgb, make: Callable[[float], Rgb], measure: str, target: float) -> Rgb:
    """make(k) for the k at which the measure of the result (at the source's own resolution)
    comes nearest target; the measure grows with k (bisection on a log scale, 0.001–64)."""

    def measured(k: float) -> float:
        return float(getattr(exposure_of(grey_of(make(k))), measure))

    low, high = 1e-3, 64.0
    for _ in range(24):
        mid = (low * high) ** 0.5
        if measured(mid) < target:
            low = mid
        else:
            high = mid
    return make(min((low, high), key=lambda k: abs(measured(k) - target)))


def blown(rgb: Rgb, share: float) -> Rgb:
    """More exposure until share of the pixels are white (grey ≥ 251): highlights clipped."""
    return _solve(rgb, lambda k: exposed(rgb, k), "blown", share)


def crushed(rgb: Rgb, share: float) -> Rgb:
    """The black point lifted until share of the pixels are black (grey ≤ 4)."""
    return _solve(rgb, lambda k: exposed(rgb, 1.0, min(0.99, k / 64.0)), "crushed", share)


def at_mean(rgb: Rgb, target: float) -> Rgb:
    """Exposure scaled until the mean grey is target (0–1)."""
    return _solve(rgb, lambda k: exposed(rgb, k), "mean", target)


def _run(check: str, case: str, expected: bool, rgb: Rgb, box: Box | None = None) -> Outcome:
    start = time.perf_counter()
    findings = image_quality_findings(rgb, subject_box=box)
    ms = (time.perf_counter() - start) * 1000
    status = next(f.status for f in findings if f.check == check)
    return Outcome(check, case, expected, status in ("warn", "fail"), ms)


def _with_sharp_subject(rgb: Rgb, box: Box) -> Rgb:
    """The shot blurred around its subject (σ 2.5 at the analysis scale), the subject sharp."""
    out = blurred(rgb, 2.5).copy()
    out[box.y0 : box.y1, box.x0 : box.x1] = rgb[box.y0 : box.y1, box.x0 : box.x1]
    return out


BLUR_CASES: tuple[tuple[str, bool, Callable[[Rgb], Rgb]], ...] = (
    ("sharp", False, lambda x: x),
    ("sigma-0.5", False, lambda x: blurred(x, 0.5)),
    ("sharp/jpeg-q85", False, jpeg),
    ("sigma-1.0", True, lambda x: blurred(x, 1.0)),
    ("sigma-1.5", True, lambda x: blurred(x, 1.5)),
    ("sigma-2.5", True, lambda x: blurred(x, 2.5)),
    ("sigma-1.5/jpeg-q85", True, lambda x: jpeg(blurred(x, 1.5))),
)
# (measure, target, has the problem): made by `exposed` until the source itself has it
EXPOSURE_CASES: tuple[tuple[str, float, bool], ...] = (
    ("blown", 0.08, False),
    ("crushed", 0.17, False),
    ("mean", 0.20, False),
    ("blown", 0.14, True),
    ("blown", 0.30, True),
    ("crushed", 0.26, True),
    ("crushed", 0.40, True),
    ("mean", 0.10, True),
    ("mean", 0.07, True),
    ("mean", 0.93, True),
)
_MADE = {"blown": blown, "crushed": crushed, "mean": at_mean}
_TOLERANCE = 0.02  # a histogram with a spike cannot be cut at every share: such cases are left out


def _exposure_outcomes(name: str, rgb: Rgb) -> list[Outcome]:
    out = [_run("exposure", f"{name}/original", False, rgb)]
    for measure, target, problem in EXPOSURE_CASES:
        made = _MADE[measure](rgb, target)
        got = float(getattr(exposure_of(grey_of(made)), measure))
        if abs(got - target) <= _TOLERANCE:
            out.append(_run("exposure", f"{name}/{measure}-{got:.2f}", problem, made))
    return out


def outcomes(seed: int = 0) -> list[Outcome]:
    """blur and exposure outcomes on every source (deterministic for a seed)."""
    out: list[Outcome] = []
    for name, rgb, box in sources(seed):
        for label, expected, make in BLUR_CASES:
            out.append(_run("blur", f"{name}/{label}", expected, make(rgb)))
        out += _exposure_outcomes(name, rgb)
        if box is not None:  # the subject decides: a soft backdrop is a choice
            bokeh = _with_sharp_subject(rgb, box)
            out.append(_run("blur", f"{name}/bokeh/subject", False, bokeh, box))
            out.append(_run("blur", f"{name}/sigma-1.5/subject", True, blurred(rgb, 1.5), box))
    return out


__all__ = ["outcomes", "sources"]
