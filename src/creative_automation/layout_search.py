"""Find a background fit and a layout for one creative, zooming out when the text has no room."""

from __future__ import annotations

from .formats import Format
from .imaging.crop import FitResult, fit_to_format
from .imaging.geometry import Box
from .imaging.layout import Layout, plan_layout
from .imaging.render import LogoPair
from .imaging.stats import BackgroundStats
from .plan import CreativeSpec
from .sources import Source

# Padding around the subject (fraction of its size per side) tried in turn: the subject is shown
# smaller until the headline fits beside it; the background is extended where the source ends.
ZOOMS = (0.0, 0.3, 0.7, 1.2)


def _padded(subject: Box, pad: float, w: int, h: int) -> Box:
    dx, dy = round(subject.width * pad), round(subject.height * pad)
    return Box(subject.x0 - dx, subject.y0 - dy, subject.x1 + dx, subject.y1 + dy).clamp(w, h)


def anchors(fmt: Format) -> list[tuple[float, float]]:
    """Where the subject may sit: centred, or moved away from where the text would go."""
    ratio = fmt.width / fmt.height
    if ratio < 0.85:  # tall: headline above (or below) the subject
        return [(0.5, 0.5), (0.5, 0.66), (0.5, 0.36)]
    if ratio > 1.2:  # wide: headline in a column beside the subject
        return [(0.5, 0.5), (0.68, 0.5), (0.32, 0.5)]
    return [(0.5, 0.5), (0.5, 0.62), (0.5, 0.38), (0.64, 0.5), (0.36, 0.5)]


FitKey = tuple[float, tuple[float, float]]
FitCache = dict[FitKey, tuple[FitResult, BackgroundStats, Box]]


def _fit(
    source: Source, fmt: Format, key: FitKey, cache: FitCache
) -> tuple[FitResult, BackgroundStats, Box]:
    if key not in cache:
        pad, anchor = key
        h, w = source.rgb.shape[:2]
        box = _padded(source.subject, pad, w, h)
        fit = fit_to_format(source.rgb, box, fmt.width, fmt.height, anchor=anchor)
        # map the true subject through the same uniform scale + offset as the padded box
        s, o = fit.scale, fit.subject_box
        subject = Box(
            round(o.x0 + (source.subject.x0 - box.x0) * s),
            round(o.y0 + (source.subject.y0 - box.y0) * s),
            round(o.x1 - (box.x1 - source.subject.x1) * s),
            round(o.y1 - (box.y1 - source.subject.y1) * s),
        ).clamp(fmt.width, fmt.height)
        cache[key] = (fit, BackgroundStats(fit.image), subject)
    return cache[key]


def find_layout(
    source: Source, fmt: Format, spec: CreativeSpec, logo: LogoPair | None, cache: FitCache
) -> tuple[FitResult, Layout, list[str]] | None:
    """The tightest framing of the subject at which headline, CTA and logo all fit.

    At each zoom level every subject position is tried and the best-scoring layout wins; a
    wider framing is only used when no position at the tighter one leaves room for the text.
    """
    aspects: list[float | None] = [logo.on_light.width / logo.on_light.height] if logo else []
    aspects.append(None)  # last resort: without the logo (reported as a finding)
    for aspect in aspects:
        for pad in ZOOMS:
            best: tuple[FitResult, Layout] | None = None
            for anchor in anchors(fmt):
                fit, stats, subject = _fit(source, fmt, (pad, anchor), cache)
                layout = plan_layout(
                    stats, fmt, subject, spec.message, spec.call_to_action, spec.locale, aspect
                )
                if layout is not None and (best is None or layout.score > best[1].score):
                    best = (fit, layout)
            if best is not None:
                notes = [f"subject framed {round(pad * 100)}% wider to make room for the text"]
                return best[0], best[1], notes if pad else []
    return None
