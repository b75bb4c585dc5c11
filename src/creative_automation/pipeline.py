"""Runs a campaign: plan, sources, backgrounds, layout, render, checks, outputs."""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .brief import Brief
from .colour import parse_hex, to_hex
from .compliance.findings import Finding
from .compliance.legal import prohibited_word_findings
from .errors import AssetError, FontCoverageError
from .formats import Format, resolve_format
from .imaging.io import encode_image
from .imaging.logo import LogoPair
from .imaging.render import render_creative
from .imaging.typography import check_coverage, fit_text
from .layout_search import FitCache, find_layout
from .localize import alt_texts, fill_missing_copy
from .manifest import (
    CreativeRecord,
    LayoutRecord,
    Manifest,
    ProviderCall,
    Totals,
    write_atomic,
    write_manifest,
)
from .outputs import campaign_folder
from .plan import CreativeSpec, make_plan
from .providers.base import ImageProvider, TextProvider
from .providers.budget import Budget
from .providers.prices import prices_read_on
from .providers.setup import build_chain, build_text_provider
from .report import write_report
from .settings import Settings
from .sources import Source, brand_fonts, load_logo, produce_sources, shape_key

Progress = Callable[[str, int, int], None]
DEFAULT_ACCENT = "#E4572E"


@dataclass
class CampaignResult:
    manifest: Manifest
    folder: Path


def check_fonts(brief: Brief, fonts: tuple[Path, ...] = ()) -> None:
    """Every locale's copy must be coverable by a font (the brand's or a bundled one) before
    anything is rendered."""
    problems = []
    for locale in brief.locale_tags:
        copy = brief.copy_for(locale)
        for text in filter(None, (copy.message, copy.call_to_action)):
            try:
                check_coverage(text, locale, fonts)
            except FontCoverageError as exc:
                problems.append(str(exc))
    if problems:
        raise FontCoverageError("\n".join(problems))


def render_group(
    brief: Brief,
    source: Source,
    fmt: Format,
    specs: list[CreativeSpec],
    logo: LogoPair | None,
    settings: Settings,
    staging: Path,
    fonts: tuple[Path, ...] = (),
) -> list[CreativeRecord]:
    """One product × format: the background is cropped once and reused for every locale."""
    palette = brief.brand.palette if brief.brand else []
    accent = parse_hex(
        palette[1] if len(palette) > 1 else palette[0] if palette else DEFAULT_ACCENT
    )
    primary = parse_hex(palette[0]) if palette else None
    ext = "jpg" if settings.output_format == "jpeg" else "png"
    fits = FitCache(source, fmt)
    records = []
    for spec in specs:
        t0 = time.perf_counter()
        found = find_layout(fits, spec, logo, fonts)
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


def run_campaign(
    brief: Brief,
    *,
    assets_dir: Path | None,
    out_dir: Path,
    settings: Settings,
    provider: ImageProvider | None = None,
    progress: Progress | None = None,
    text_provider: TextProvider | None = None,
) -> CampaignResult:
    """Render every creative of the brief into out_dir/<campaign_id>/, replaced atomically."""
    started = time.perf_counter()
    say = progress or (lambda stage, done, total: None)
    if assets_dir is not None and not assets_dir.is_dir():
        raise AssetError(f"the asset folder {assets_dir} does not exist or is not a folder")
    # Workers start (and load their fonts) on the other cores while this process builds the
    # provider chain and the providers work: a campaign takes one provider call plus the
    # rendering, not plus a pool's start-up too.
    pool = _executor(settings.workers, len(brief.products) * len(brief.formats))
    warm: list[Future[None]] = []
    # submitting starts the worker processes, which waits for the forkserver's imports: do it
    # off this thread, which meanwhile builds the chain and calls the providers
    starter = threading.Thread(
        target=lambda: warm.extend(pool.submit(warm_up, brief) for _ in range(settings.workers)),
        daemon=True,
    )
    starter.start()
    try:
        if text_provider is None:
            text_provider = build_text_provider(settings)
        brief, translated = fill_missing_copy(brief, text_provider)
        alts, alts_by = alt_texts(brief, text_provider if settings.alt_text == "auto" else None)
        fonts = brand_fonts(brief, assets_dir)
        check_fonts(brief, fonts)
        plan = make_plan(brief, translated)
        budget = Budget(
            brief.budget_usd if brief.budget_usd is not None else settings.campaign_budget_usd
        )
        groups: dict[tuple[str, str], list[CreativeSpec]] = {}
        for spec in plan:
            groups.setdefault((spec.product.id, spec.format.name), []).append(spec)
        if provider is None:  # the configured chain: keys present → real providers, procedural
            provider = build_chain(settings, budget)
        logo = (
            load_logo(brief.brand, assets_dir, settings.max_asset_pixels) if brief.brand else None
        )
        with campaign_folder(out_dir, brief.campaign_id) as (staging, final):
            say("sources", 0, len(brief.products))
            sources = produce_sources(
                brief,
                assets_dir,
                provider,
                size=settings.generation_size,
                max_pixels=settings.max_asset_pixels,
                policy=settings.generation_policy,
            )
            say("sources", len(sources), len(brief.products))
            say("render", 0, len(plan))
            records: list[CreativeRecord] = []
            starter.join()
            for w in warm:
                w.result()
            futures = [
                pool.submit(
                    render_group,
                    brief,
                    sources[(pid, shape_key(settings.generation_policy, specs[0].format))],
                    specs[0].format,
                    specs,
                    logo,
                    settings,
                    staging,
                    fonts,
                )
                for (pid, _), specs in groups.items()
            ]
            for fut in futures:
                records += fut.result()
                say("render", len(records), len(plan))
            for r in records:
                r.alt_text, r.alt_text_by = alts.get((r.product_id, r.locale)), alts_by
            manifest = _manifest(brief, settings, records, sources, budget, started)
            write_manifest(manifest, staging)
            write_report(manifest, brief, staging)
    finally:
        # on a failure, groups not yet started are dropped rather than awaited
        starter.join()
        pool.shutdown(wait=True, cancel_futures=True)
    return CampaignResult(manifest, final)


def _manifest(
    brief: Brief,
    settings: Settings,
    records: list[CreativeRecord],
    sources: dict[tuple[str, str], Source],
    budget: Budget,
    started: float,
) -> Manifest:
    # each source's cost is paid once: book it on the first creative made from it
    booked: set[tuple[str, str]] = set()
    for r in records:
        key = (r.product_id, shape_key(settings.generation_policy, resolve_format(r.aspect_ratio)))
        if key not in booked:
            r.cost_usd = sources[key].cost_usd
            booked.add(key)
    return Manifest(
        campaign_id=brief.campaign_id,
        campaign_name=brief.campaign_name,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        output_format=settings.output_format,
        creatives=records,
        totals=Totals(
            creatives=len(records),
            ok=sum(r.status == "ok" for r in records),
            needs_review=sum(r.status == "needs_review" for r in records),
            failed=sum(r.status == "failed" for r in records),
            warnings=sum(any(f.status == "warn" for f in r.compliance) for r in records),
            # every paid call counts, a generation the quality gate rejected included
            cost_usd=round(max(budget.spent_usd, sum(r.cost_usd for r in records)), 4),
            duration_s=round(time.perf_counter() - started, 3),
        ),
        budget_usd=budget.limit_usd,
        provider_calls=[ProviderCall(provider=w, cost_usd=c) for w, c in budget.calls],
        prices_read_on=prices_read_on(),
    )


def warm_up(brief: Brief) -> None:
    """Load, in a worker, the fonts the campaign's copy needs (the first fit pays for them)."""
    for locale in brief.locale_tags:
        fit_text(
            brief.copy_for(locale).message or "Aa", locale, weight="bold", box_width=2000,
            box_height=2000, max_lines=3, min_size=40, max_size=40,
        )  # fmt: skip


def _executor(workers: int, tasks: int) -> Executor:
    """Worker processes, one per core: rendering is CPU-bound and much of it holds the GIL.

    The forkserver context starts workers from a clean process that has already imported the
    pipeline (no fork of a threaded parent, no re-import per worker). One worker or one task
    runs in this process.
    """
    if workers <= 1 or tasks <= 1:
        return ThreadPoolExecutor(max_workers=1)
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["creative_automation.pipeline"])
    return ProcessPoolExecutor(max_workers=min(workers, tasks), mp_context=ctx)
