"""Benchmark: median ms per 1080×1920 creative vs the floor (decode + cv2 cubic resize + encode).

Prints a table and writes bench/results/render.json. Target (issue 2): ≤ 2× the floor.
Run: `make bench` (or `.venv/bin/python bench/render.py --runs 30`).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import cv2

from creative_automation.formats import resolve_format
from creative_automation.imaging.crop import fit_to_format
from creative_automation.imaging.io import encode_image, load_image, to_rgb_array
from creative_automation.imaging.layout import plan_layout
from creative_automation.imaging.render import render_creative
from creative_automation.imaging.saliency import focal_box
from creative_automation.imaging.stats import BackgroundStats
from creative_automation.providers.base import GenerationRequest
from creative_automation.providers.procedural import ProceduralProvider

ROOT = Path(__file__).parent
FMT = resolve_format("9:16")
COPY = {
    "en-US": ("Summer tastes better cold", "Shop now"),
    "es-MX": ("El verano sabe mejor en frío", "Compra ahora"),
    "ar-AE": ("الصيف ألذ مع القهوة الباردة", "تسوّق الآن"),
    "ja-JP": ("夏は、冷たいコーヒーで。", "今すぐ購入"),
}
ACCENT = (224, 122, 46)


def _source(tmp: Path) -> Path:
    """A 1024² JPEG source from the offline generator (what a real provider would hand us)."""
    req = GenerationRequest(
        product_id="bench",
        product_name="Sparkling Cold Brew",
        description="coffee in a can",
        prompt="",
        palette=("#2B1B17", "#E07A2E", "#F4E9DC"),
        width=1024,
        height=1024,
        seed=1,
    )
    img = ProceduralProvider().render(req).image
    path = tmp / "source.jpg"
    img.save(path, quality=92)
    return path


def floor(src: Path) -> None:
    img = load_image(src)
    rgb = to_rgb_array(img)
    # the same crop geometry a creative uses, then one cubic resize and one encode
    h, w = rgb.shape[:2]
    cw = round(h * FMT.width / FMT.height)
    x0 = (w - cw) // 2
    out = cv2.resize(rgb[:, x0 : x0 + cw], (FMT.width, FMT.height), interpolation=cv2.INTER_CUBIC)
    encode_image(out, "jpeg", quality=90)


def creative(src: Path, locale: str) -> None:
    """The whole per-creative path, cold: nothing reused from another creative."""
    img = load_image(src)
    rgb = to_rgb_array(img)
    subject = focal_box(rgb)
    fit = fit_to_format(rgb, subject, FMT.width, FMT.height)
    stats = BackgroundStats(fit.image)
    message, cta = COPY[locale]
    layout = plan_layout(stats, FMT, fit.subject_box, message, cta, locale, logo_aspect=None)
    assert layout is not None, f"no layout for {locale}"
    rendered = render_creative(fit.image, layout, accent=ACCENT, brand_primary=None, logo=None)
    encode_image(rendered.image, "jpeg", quality=90)


def campaign_share(src: Path) -> None:
    """Per creative inside a campaign: decode/saliency/crop once per product × format, 4 locales."""
    img = load_image(src)
    rgb = to_rgb_array(img)
    fit = fit_to_format(rgb, focal_box(rgb), FMT.width, FMT.height)
    stats = BackgroundStats(fit.image)
    for locale, (message, cta) in COPY.items():
        layout = plan_layout(stats, FMT, fit.subject_box, message, cta, locale, logo_aspect=None)
        assert layout is not None
        rendered = render_creative(fit.image, layout, accent=ACCENT, brand_primary=None, logo=None)
        encode_image(rendered.image, "jpeg", quality=90)


def median_ms(fn: Callable[[], None], runs: int, per: int = 1) -> float:
    fn()  # warm caches (fonts, cascades) so the median is the steady state
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000 / per)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=25)
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "render.json")
    args = parser.parse_args()
    cv2.setNumThreads(1)  # one core, as in the design's performance model
    tmp = ROOT / "results"
    tmp.mkdir(exist_ok=True)
    src = _source(tmp)
    rows = {"floor (decode + cv2 cubic + encode)": median_ms(lambda: floor(src), args.runs)}
    for locale in COPY:
        rows[f"creative, cold, {locale}"] = median_ms(partial(creative, src, locale), args.runs)
    rows["creative in campaign (4 locales share a background)"] = median_ms(
        lambda: campaign_share(src), args.runs, per=len(COPY)
    )
    base = rows["floor (decode + cv2 cubic + encode)"]
    print(f"{'path (1080×1920 JPEG q90 4:4:4, one thread)':<58} {'ms':>8} {'× floor':>8}")
    for name, ms in rows.items():
        print(f"{name:<58} {ms:8.1f} {ms / base:8.2f}")
    cold = statistics.median(v for k, v in rows.items() if k.startswith("creative, cold"))
    verdict = "PASS" if cold <= 2 * base else "OVER"
    print(
        f"\ntarget: whole per-creative path ≤ 2× floor → cold median {cold / base:.2f}× ({verdict})"
    )
    result = {
        "benchmark": "render",
        "machine": platform.machine(),
        "python": platform.python_version(),
        "runs": args.runs,
        "unit": "ms per creative (median)",
        "rows": {k: round(v, 2) for k, v in rows.items()},
        "floor_ms": round(base, 2),
        "cold_ratio": round(cold / base, 3),
        "target_ratio": 2.0,
        "pass": cold <= 2 * base,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
