"""Find a background fit and a layout for one creative, zooming out when the text has no room."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from .formats import Format
from .imaging.crop import FitResult, fit_to_format
from .imaging.geometry import Box
from .imaging.layout import BrandRules, Layout, plan_layout
from .imaging.logo import LogoPair
from .imaging.stats import BackgroundStats
from .plan import CreativeSpec
from .sources import Source

# Padding around the subject (fraction of its size per side) tried in turn: the subject is shown
# smaller until the headline fits beside it; the background is extended where the source ends.
ZOOMS = (0.0, 0.3, 0.7, 1.2)
SEARCH_SCALE = 8  # framings are compared on eighth-size copies; only the winner is made full size

Key = tuple[float, tuple[float, float]]


def anchors(fmt: Format) -> list[tuple[float, float]]:
    """Where the subject may sit: centred, or moved away from where the text would go."""
    ratio = fmt.width / fmt.height
    if ratio < 0.85:  # tall: headline above (or below) the subject
        return [(0.5, 0.5), (0.5, 0.66)]  # the platform UI covers the bottom: text goes up
    if ratio > 1.2:  # wide: headline in a column beside the subject
        return [(0.5, 0.5), (0.68, 0.5), (0.32, 0.5)]
    return [(0.5, 0.5), (0.5, 0.62), (0.5, 0.38), (0.64, 0.5), (0.36, 0.5)]


@dataclass
class FitCache:
    """Fits of one source to one format, shared by every locale of that product × format."""

    source: Source
    fmt: Format
    small_rgb: NDArray[np.uint8] | None = None
    small: dict[Key, tuple[BackgroundStats, Box]] = field(default_factory=dict)
    full: dict[Key, tuple[FitResult, BackgroundStats, Box]] = field(default_factory=dict)
    chosen: Key | None = None  # the framing the first locale settled on

    def _fit(
        self, rgb: NDArray[np.uint8], subject: Box, key: Key, width: int, height: int
    ) -> tuple[FitResult, Box]:
        pad, anchor = key
        h, w = rgb.shape[:2]
        dx, dy = round(subject.width * pad), round(subject.height * pad)
        wanted = Box(subject.x0 - dx, subject.y0 - dy, subject.x1 + dx, subject.y1 + dy)
        box = wanted.clamp(w, h)
        # beyond the source's edges the zoom-out is a scale cap: the backdrop is extended
        cap = min(width / wanted.width, height / wanted.height) if pad else None
        fit = fit_to_format(rgb, box, width, height, anchor=anchor, max_scale=cap)
        # map the true subject through the same uniform scale + offset as the padded box
        s, o = fit.scale, fit.subject_box
        true = Box(
            round(o.x0 + (subject.x0 - box.x0) * s),
            round(o.y0 + (subject.y0 - box.y0) * s),
            round(o.x1 - (box.x1 - subject.x1) * s),
            round(o.y1 - (box.y1 - subject.y1) * s),
        ).clamp(width, height)
        return fit, true

    def preview(self, key: Key) -> tuple[BackgroundStats, Box]:
        """Statistics and subject box of a framing, from a reduced fit (full-size coords)."""
        if key not in self.small:
            k = SEARCH_SCALE
            if self.small_rgb is None:
                h, w = self.source.rgb.shape[:2]
                self.small_rgb = np.asarray(
                    cv2.resize(
                        self.source.rgb,
                        (max(1, w // k), max(1, h // k)),
                        interpolation=cv2.INTER_AREA,
                    )
                )
            sx = self.small_rgb.shape[1] / self.source.rgb.shape[1]
            sy = self.small_rgb.shape[0] / self.source.rgb.shape[0]
            subject = self.source.subject.scale(sx, sy)
            fit, box = self._fit(
                self.small_rgb, subject, key, self.fmt.width // k, self.fmt.height // k
            )
            fx, fy = self.fmt.width / fit.image.shape[1], self.fmt.height / fit.image.shape[0]
            stats = BackgroundStats(fit.image, scale=fx, reduced=True)
            self.small[key] = (stats, box.scale(fx, fy).clamp(self.fmt.width, self.fmt.height))
        return self.small[key]

    def final(self, key: Key) -> tuple[FitResult, BackgroundStats, Box]:
        if key not in self.full:
            fit, box = self._fit(
                self.source.rgb, self.source.subject, key, self.fmt.width, self.fmt.height
            )
            self.full[key] = (fit, BackgroundStats(fit.image), box)
        return self.full[key]


def find_layout(
    cache: FitCache,
    spec: CreativeSpec,
    logo: LogoPair | None,
    fonts: tuple[Path, ...] = (),
    brand: BrandRules | None = None,
) -> tuple[FitResult, Layout, list[str]] | None:
    """The tightest framing of the subject at which headline, CTA and logo all fit.

    At each zoom level every subject position is scored on a reduced preview; the best is
    then made full size and laid out exactly (falling back to the next if rounding spoils it).
    A wider framing is only used when no position at the tighter one leaves room for the text.
    """
    fmt = cache.fmt
    aspects: list[float | None] = [logo.on_light.width / logo.on_light.height] if logo else []
    aspects.append(None)  # last resort: without the logo (reported as a finding)

    def layout_for(stats: BackgroundStats, subject: Box, aspect: float | None) -> Layout | None:
        return plan_layout(
            stats, fmt, subject, spec.message, spec.call_to_action, spec.locale, aspect, fonts,
            brand,
        )  # fmt: skip

    def framed(fit: FitResult, layout: Layout, pad: float) -> tuple[FitResult, Layout, list[str]]:
        notes = [f"subject framed {round(pad * 100)}% wider to make room for the text"]
        return fit, layout, notes if pad else []

    # Every locale keeps the framing the first one settled on when its copy fits there: the
    # product sits in the same place in all languages (and the search is paid once).
    if cache.chosen is not None:
        fit, stats, subject = cache.final(cache.chosen)
        layout = layout_for(stats, subject, aspects[0])
        if layout is not None:
            return framed(fit, layout, cache.chosen[0])

    for aspect in aspects:
        for pad in ZOOMS:
            ranked: list[tuple[float, Key]] = []
            for anchor in anchors(fmt):
                preview = layout_for(*cache.preview((pad, anchor)), aspect)
                if preview is not None:
                    ranked.append((preview.score, (pad, anchor)))
            for _, key in sorted(ranked, reverse=True):
                fit, stats, subject = cache.final(key)
                layout = layout_for(stats, subject, aspect)
                if layout is not None:
                    if aspect == aspects[0] and cache.chosen is None:
                        cache.chosen = key
                    return framed(fit, layout, pad)
    return None
