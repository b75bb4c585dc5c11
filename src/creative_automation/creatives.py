"""One product × format of a campaign: its creatives for every locale, from one background."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path

from .brandkit import Brand
from .brief import Brief
from .checking import creative_facts, decoded, legal_checks, scaled
from .colour import parse_hex, to_hex
from .compliance.findings import Finding
from .compliance.legibility import MIN_CONTRAST
from .compliance.suite import CONTRAST_CHECKS, FIXABLE, LOGO_CHECKS, check_creative
from .credentials import provenance_of, sign, source_of
from .errors import FontCoverageError
from .formats import Format
from .imaging.crop import FitResult
from .imaging.io import encode_image
from .imaging.layout import BrandRules, Layout
from .imaging.logo import LogoPair
from .imaging.render import Rendered, render_creative
from .imaging.typography import check_coverage, fit_text
from .layout_search import FitCache, find_layout
from .manifest import CreativeRecord, LayoutRecord, write_atomic
from .plan import CreativeSpec
from .provenance.credentials import SigningCredentials
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
    signer: SigningCredentials | None = None,
) -> list[CreativeRecord]:
    """One product × format: the background is cropped once and reused for every locale.

    Each creative is checked on its final pixels and its copy; what a safe fix can mend is
    re-rendered and checked again (each correction recorded), what cannot marks it
    needs_review. It is signed (Content Credentials) and written only once final."""
    ext = "jpg" if settings.output_format == "jpeg" else "png"
    fits = FitCache(source, fmt)
    quality = source.findings  # the generated image's own checks, made once per source
    origin = source_of(source)  # the C2PA ingredient or generator, the same for every locale
    records = []
    for spec in specs:
        t0 = time.perf_counter()
        kit = brief.brand.for_locale(spec.locale) if brief.brand else None
        copy, findings, corrections = legal_checks(spec, kit)
        logo = logos.get(spec.locale)
        rules = BrandRules(
            small_print=copy["disclaimer"],
            logo_min_width=scaled(kit.logo_min_width_px if kit else None, fmt),
            logo_clear=kit.logo_clear_space if kit else 0.5,
        )
        found = find_layout(fits, spec, logo, (fonts or {}).get(spec.locale, ()), rules)
        base = _base(spec, source, fmt, copy)
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
                    corrections=corrections,
                    layout=LayoutRecord(text_box=None, logo_box=None, subject_box=None),
                )
            )
            continue
        fit, layout, notes = found
        rendered, data, pixel, fixes = _render_checked(fmt, fit, layout, kit, logo, settings)
        findings += rendered.findings + pixel + quality
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
        data, credentials = sign(
            data,
            settings.output_format,
            provenance_of(source, origin, spec, fit, layout, rel),
            signer,
        )
        write_atomic(staging / rel, data)
        block = layout.text
        used = [block.headline.font_name] + ([block.cta.font_name] if block.cta else [])
        used += [layout.small_print.font_name] if layout.small_print else []
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
                    disclaimer_box=layout.small_print_box.as_list()
                    if layout.small_print_box
                    else None,
                ),
                fonts=list(dict.fromkeys(used)),
                corrections=corrections + notes + rendered.corrections + fixes,
                compliance=findings,
                crop_method=fit.method,
                text_color=to_hex(rendered.text_color),
                treatment=rendered.treatment,
                logo_variant=rendered.logo_variant,
                headline_px=block.headline.size,
                cta_px=block.cta.size if block.cta else None,
                disclaimer_px=layout.small_print.size if layout.small_print else None,
                render_ms=round((time.perf_counter() - t0) * 1000, 1),
                content_credentials=credentials,
            )
        )
    return records


MAX_ROUNDS = 3  # render, then at most two corrected re-renders
CONTRAST_HEADROOM = 1.05


def _render_checked(
    fit_format: Format,
    fit: FitResult,
    layout: Layout,
    kit: Brand | None,
    logo: LogoPair | None,
    settings: Settings,
) -> tuple[Rendered, bytes, list[Finding], list[str]]:
    """Render, encode, check the encoded pixels; where a failure has a safe fix (a darker
    scrim for contrast, the other logo variant for a logo that does not stand out), render
    again with it and check again. Returns the last render, its bytes, its pixel findings and
    the corrections made."""
    colours = kit.colours if kit else []
    hexes = [c.hex for c in colours]
    accent = parse_hex((kit.colour("accent") if kit else None) or (hexes or [DEFAULT_ACCENT])[0])
    primary = parse_hex(kit.colour("primary") or hexes[0]) if kit and hexes else None
    extra = [parse_hex(c.hex) for c in colours if c.role not in ("primary", "accent")]
    facts = creative_facts(fit_format, layout, kit, logo)
    # aimed a little above the threshold: the encoded pixels (JPEG) must still reach it
    target, variant, fixes = MIN_CONTRAST * CONTRAST_HEADROOM, None, list[str]()
    for round_ in range(MAX_ROUNDS):
        rendered = render_creative(
            fit.image, layout, accent=accent, brand_primary=primary, palette=extra,
            logo=logo if layout.logo_box else None, contrast_target=target, logo_variant=variant,
        )  # fmt: skip
        data = encode_image(rendered.image, settings.output_format, quality=settings.jpeg_quality)
        pixel = check_creative(decoded(data), facts)
        failed = {f.check for f in pixel if f.blocking}
        if round_ == MAX_ROUNDS - 1 or not failed & FIXABLE:
            return rendered, data, pixel, fixes
        if failed & CONTRAST_CHECKS:
            target += 1.5
            fixes.append("re-rendered with a stronger scrim: contrast measured on the final "
                         "pixels was below the threshold")  # fmt: skip
        if failed & LOGO_CHECKS and rendered.logo_variant:
            variant = "on_light" if rendered.logo_variant == "on_dark" else "on_dark"
            fixes.append(f"re-rendered with the {variant.replace('_', '-')} logo variant: the "
                         "logo was not detectable on the final pixels")  # fmt: skip
    raise AssertionError("unreachable")  # the loop returns on its last round


def _base(
    spec: CreativeSpec, source: Source, fmt: Format, copy: dict[str, str | None]
) -> dict[str, object]:
    return dict(
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
        disclaimer=copy["disclaimer"],
        asset=source.asset,
        fallbacks=list(source.notes),
        cached=source.cached,
        machine_translated=spec.machine_translated,
        source_quality=source.quality,
    )


def warm_up(brief: Brief) -> None:
    """Load, in a worker, the fonts the campaign's copy needs (the first fit pays for them)."""
    for locale in brief.locale_tags:
        fit_text(
            brief.copy_for(locale).message or "Aa", locale, weight="bold", box_width=2000,
            box_height=2000, max_lines=3, min_size=40, max_size=40,
        )  # fmt: skip
