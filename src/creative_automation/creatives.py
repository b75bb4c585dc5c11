"""One product × format of a campaign: its creatives for every locale, from one background."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path

from .brief import Brief
from .colour import parse_hex, to_hex
from .compliance.findings import Finding
from .compliance.legal import prohibited_word_findings
from .errors import FontCoverageError
from .formats import Format
from .imaging.io import encode_image
from .imaging.logo import LogoPair
from .imaging.render import render_creative
from .imaging.typography import check_coverage, fit_text
from .layout_search import FitCache, find_layout
from .manifest import CreativeRecord, LayoutRecord, write_atomic
from .plan import CreativeSpec
from .settings import Settings
from .sources import Source

DEFAULT_ACCENT = "#E4572E"


def coverage_problems(
    brief: Brief, fonts: Mapping[str, tuple[Path, ...]] | None = None
) -> list[tuple[str, str]]:
    """(field path, why) of every locale's copy that no font (the brand's or a bundled one)
    covers: `locales.<tag>.<field>` where the locale has its own text, else the base field."""
    problems = []
    for locale in brief.locale_tags:
        copy, own = brief.copy_for(locale), brief.locales.get(locale)
        for field in ("message", "call_to_action", "disclaimer"):
            text = getattr(copy, field)
            if not text:
                continue
            try:
                check_coverage(text, locale, (fonts or {}).get(locale, ()))
            except FontCoverageError as exc:
                where = f"locales.{locale}.{field}" if own and getattr(own, field) else field
                problems.append((where, str(exc)))
    return problems


def check_fonts(brief: Brief, fonts: Mapping[str, tuple[Path, ...]] | None = None) -> None:
    """Every locale's copy must be coverable by a font (the brand's or a bundled one) before
    anything is rendered."""
    problems = coverage_problems(brief, fonts)
    if problems:
        raise FontCoverageError("\n".join(why for _, why in problems))


def render_group(
    brief: Brief,
    source: Source,
    fmt: Format,
    specs: list[CreativeSpec],
    logos: Mapping[str, LogoPair | None],
    settings: Settings,
    staging: Path,
    fonts: Mapping[str, tuple[Path, ...]] | None = None,
) -> list[CreativeRecord]:
    """One product × format: the background is cropped once and reused for every locale."""
    palette = brief.brand.hexes if brief.brand else []
    accent = parse_hex(
        palette[1] if len(palette) > 1 else palette[0] if palette else DEFAULT_ACCENT
    )
    primary = parse_hex(palette[0]) if palette else None
    ext = "jpg" if settings.output_format == "jpeg" else "png"
    fits = FitCache(source, fmt)
    records = []
    for spec in specs:
        t0 = time.perf_counter()
        logo = logos.get(spec.locale)
        found = find_layout(fits, spec, logo, (fonts or {}).get(spec.locale, ()))
        findings: list[Finding] = list(prohibited_word_findings(spec, brief))
        base = dict(
            product_id=spec.product.id,
            locale=spec.locale,
            format=fmt.name,
            aspect_ratio=fmt.ratio,
            width=fmt.width,
            height=fmt.height,
            source=source.origin,
            provider=source.provider,
            model=source.model,
            seed=source.seed,
            cost_usd=0.0,
            message=spec.message,
            call_to_action=spec.call_to_action,
            asset=source.asset,
            fallbacks=list(source.notes),
            cached=source.cached,
            machine_translated=spec.machine_translated,
            source_quality=source.quality,
        )
        if found is None:
            findings.append(
                Finding(
                    check="text_fit",
                    status="fail",
                    detail=(
                        "the message does not fit beside the subject at the minimum legible size; "
                        "shorten the copy for this locale"
                    ),
                )
            )
            records.append(
                CreativeRecord(
                    **base,
                    path=None,
                    status="failed",
                    fonts=[],
                    compliance=findings,
                    layout=LayoutRecord(text_box=None, logo_box=None, subject_box=None),
                )
            )
            continue
        fit, layout, notes = found
        rendered = render_creative(
            fit.image,
            layout,
            accent=accent,
            brand_primary=primary,
            palette=[parse_hex(c) for c in palette[2:]],
            logo=logo if layout.logo_box else None,
        )
        findings += rendered.findings
        if fit.upscaled_too_much:
            findings.append(
                Finding(
                    check="upscale",
                    status="warn",
                    value=round(fit.scale, 2),
                    threshold=2.0,
                    detail="source enlarged beyond 2×: may look soft",
                )
            )
        if logo is not None and layout.logo_box is None:
            findings.append(
                Finding(
                    check="logo", status="fail", detail="no corner with clear space for the logo"
                )
            )
        rel = spec.relpath(ext)
        data = encode_image(rendered.image, settings.output_format, quality=settings.jpeg_quality)
        write_atomic(staging / rel, data)
        block = layout.text
        used = [block.headline.font_name] + ([block.cta.font_name] if block.cta else [])
        records.append(
            CreativeRecord(
                **base,
                path=rel,
                status="needs_review" if any(f.blocking for f in findings) else "ok",
                layout=LayoutRecord(
                    text_box=block.box.as_list(),
                    logo_box=layout.logo_box.as_list() if layout.logo_box else None,
                    subject_box=layout.subject_box.as_list(),
                    headline_box=block.headline_box.as_list(),
                    cta_box=block.cta_box.as_list() if block.cta_box else None,
                    safe_box=layout.safe_box.as_list(),
                ),
                fonts=list(dict.fromkeys(used)),
                corrections=notes + rendered.corrections,
                compliance=findings,
                crop_method=fit.method,
                text_color=to_hex(rendered.text_color),
                treatment=rendered.treatment,
                logo_variant=rendered.logo_variant,
                headline_px=block.headline.size,
                cta_px=block.cta.size if block.cta else None,
                render_ms=round((time.perf_counter() - t0) * 1000, 1),
            )
        )
    return records


def warm_up(brief: Brief) -> None:
    """Load, in a worker, the fonts the campaign's copy needs (the first fit pays for them)."""
    for locale in brief.locale_tags:
        fit_text(
            brief.copy_for(locale).message or "Aa", locale, weight="bold", box_width=2000,
            box_height=2000, max_lines=3, min_size=40, max_size=40,
        )  # fmt: skip
