"""The `cap` command line: thin adapters over the pipeline (Typer + Rich)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from .brief import brief_json_schema, load_brief
from .cli_admin import db_app, keys_app
from .cli_agent import agent, alerts_app
from .cli_comms import draft_update
from .cli_compliance import check, verify
from .cli_console import err, out
from .cli_console import fail as _fail
from .cli_mcp import mcp
from .cli_service import serve, worker
from .cli_ui import ui
from .errors import AssetError, CreativeAutomationError
from .localize import fill_missing_copy
from .manifest import CreativeRecord, Manifest
from .pipeline import check_fonts, run_campaign
from .providers.prices import prices_read_on
from .providers.setup import build_text_provider, provider_status
from .settings import OutputFormat, load_settings
from .sources import brand_fonts, load_logos

if TYPE_CHECKING:
    pass

NEEDS_REVIEW_EXIT = 3  # `run --strict`: distinct from 1 (failed) so CI can tell them apart

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # never print settings (which may hold secrets)
    help="Creative Automation Platform: campaign brief in, localized ad creatives out.",
)


@app.command()
def run(
    brief: Annotated[Path, typer.Argument(help="Brief file (YAML or JSON).")],
    assets: Annotated[Path | None, typer.Option("--assets", "-a", help="Asset folder.")] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output folder [CAP_OUTPUT_DIR].")
    ] = None,
    output_format: Annotated[
        OutputFormat | None, typer.Option("--format", help="jpeg or png [CAP_OUTPUT_FORMAT].")
    ] = None,
    provider: Annotated[
        str | None,
        typer.Option(
            "--providers", help="Provider order, e.g. 'openai,procedural' [CAP_IMAGE_PROVIDERS]."
        ),
    ] = None,
    workers: Annotated[int | None, typer.Option(help="Render processes [CAP_WORKERS].")] = None,
    seed: Annotated[
        int | None, typer.Option(help="Generation seed, instead of the brief's [CAP_SEED].")
    ] = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help=f"Exit {NEEDS_REVIEW_EXIT} if any creative needs review (outputs still written).",
        ),
    ] = False,
) -> None:
    """Render every product × format × locale of BRIEF.

    Exit codes:
      0  every creative made (with --strict: and none needs review)
      1  a creative failed, or the brief, assets or settings are wrong
      3  --strict only: none failed, but some need review (a check failed on them)
    """
    try:
        settings = load_settings(
            output_dir=out_dir,
            output_format=output_format,
            image_providers=provider,
            workers=workers,
            seed=seed,
        )
        parsed = load_brief(brief)
        if settings.seed is not None:
            parsed = parsed.model_copy(update={"seed": settings.seed})
        with Progress(
            TextColumn("[bold]{task.description:<8}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err(),
            transient=False,
        ) as bar:
            tasks: dict[str, TaskID] = {}

            def progress(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(stage, total=total)
                bar.update(tasks[stage], completed=done, total=total)

            result = run_campaign(
                parsed,
                assets_dir=assets,
                out_dir=settings.output_dir,
                settings=settings,
                progress=progress,
            )
    except CreativeAutomationError as exc:
        _fail(exc)
    _summary(result.manifest, result.folder)
    t = result.manifest.totals
    if t.failed:
        raise typer.Exit(1)
    if strict and t.needs_review:
        out().print(f"[yellow]--strict: {t.needs_review} of {t.creatives} creatives need review[/]")
        raise typer.Exit(NEEDS_REVIEW_EXIT)


def _summary(manifest: Manifest, folder: Path) -> None:
    table = Table(title=f"{manifest.campaign_name} — {manifest.totals.creatives} creatives")
    table.add_column("product", no_wrap=True)
    table.add_column("format", no_wrap=True)
    table.add_column("locales", justify="right")
    table.add_column("source", no_wrap=True)
    table.add_column("result", no_wrap=True)
    rows: dict[tuple[str, str], list[CreativeRecord]] = {}
    for r in manifest.creatives:
        rows.setdefault((r.product_id, r.aspect_ratio), []).append(r)
    for (pid, ratio), recs in rows.items():
        status: Counter[str] = Counter(r.status for r in recs)
        result = ", ".join(
            f"[{colour}]{status[key]} {label}[/]"
            for key, label, colour in (
                ("ok", "ok", "green"),
                ("needs_review", "review", "yellow"),
                ("failed", "failed", "red"),
            )
            if status[key] or key == "ok"
        )
        warned = sum(any(f.status == "warn" for f in r.compliance) for r in recs)
        result += f" [yellow]({warned} warn)[/]" if warned else ""
        src = recs[0].provider if recs[0].source == "generated" else "asset"
        table.add_row(pid, ratio, str(len(recs)), src or "?", result)
    out().print(table)
    t = manifest.totals
    out().print(
        f"[green]{t.ok} ok[/], [yellow]{t.needs_review} need review[/], [red]{t.failed} failed[/]"
        + (f" ({t.warnings} with warnings, see the report)" if t.warnings else "")
        + f" in {t.duration_s:.1f} s · cost ${t.cost_usd:.2f}"
    )
    out().print(f"Output: [bold]{folder}[/]  (manifest.json, report.html)")


@app.command()
def validate(
    brief: Annotated[Path, typer.Argument(help="Brief file (YAML or JSON).")],
    assets: Annotated[
        Path | None, typer.Option("--assets", "-a", help="Asset folder to check.")
    ] = None,
) -> None:
    """List every problem in BRIEF with its field path; exit 1 if there is any."""
    try:
        parsed = load_brief(brief)
        settings = load_settings()
        text = build_text_provider(settings) if parsed.missing_copy() else None
        if parsed.missing_copy() and text is None:
            fill_missing_copy(parsed, None, str(brief))  # raises: names every missing field
        if assets is not None and not assets.is_dir():
            raise AssetError(f"the asset folder {assets} does not exist or is not a folder")
        check_fonts(parsed, brand_fonts(parsed, assets) if assets else None)
        if assets is not None and parsed.brand is not None:
            load_logos(parsed, assets, settings.max_asset_pixels)
    except CreativeAutomationError as exc:
        _fail(exc)
    notes = []
    if assets is not None:
        for p in parsed.products:
            listed = [a for a in p.assets if (assets / a).exists()]
            if not listed:
                notes.append(f"{p.id}: no asset found, its image will be generated")
    out().print(
        f"[green]valid:[/] {parsed.campaign_id}: {len(parsed.products)} products × "
        f"{len(parsed.formats)} formats × {len(parsed.locale_tags)} locales"
    )
    if parsed.missing_copy():
        notes.append(f"{len(parsed.missing_copy())} locale text(s) will be machine-translated")
    for n in notes:
        out().print(f"  note: {n}")


@app.command()
def providers() -> None:
    """Configured image providers: model, price, breaker state, calls, success, latency, spend."""
    try:
        rows = provider_status(load_settings())
    except CreativeAutomationError as exc:
        _fail(exc)
    table = Table(title=f"Image providers (prices read {prices_read_on()})")
    table.add_column("provider", no_wrap=True)
    table.add_column("model / setup", no_wrap=True)
    for col in ("$/image", "breaker", "calls", "ok", "p50 s", "spent"):
        table.add_column(col, justify="right", no_wrap=True)
    for r in rows:
        table.add_row(
            r.name if r.configured else f"[dim]{r.name}[/]",
            r.detail,
            f"{r.price_usd:.3f}" if r.price_usd is not None else "-",
            r.breaker,
            str(r.calls),
            f"{r.success_rate:.0%}" if r.success_rate is not None else "-",
            f"{r.median_latency_s:.1f}" if r.median_latency_s is not None else "-",
            f"${r.spend_usd:.2f}",
        )
    out().print(table)


@app.command()
def schema() -> None:
    """Print the brief's JSON Schema."""
    print(json.dumps(brief_json_schema(), indent=2))


app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
app.add_typer(alerts_app, name="alerts")
app.command("serve")(serve)
app.command("worker")(worker)
app.command("verify")(verify)
app.command("check")(check)
app.command("agent")(agent)
app.command("draft-update")(draft_update)
app.command("mcp")(mcp)
app.command("ui")(ui)


def main() -> None:
    app()
