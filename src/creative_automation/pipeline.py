"""Runs a campaign: plan, sources, backgrounds, layout, render, checks, outputs."""

from __future__ import annotations

import multiprocessing
import queue
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from .brief import Brief, Product
from .creatives import check_fonts, render_group, warm_up
from .errors import AssetError, CampaignStopped
from .imaging.threads import one_thread_per_kernel
from .localize import alt_texts, fill_missing_copy
from .manifest import CreativeRecord, Manifest, ProviderCall, Totals, write_manifest
from .outputs import campaign_folder
from .plan import CreativeSpec, make_plan
from .provenance import load_signer
from .provenance.credentials import SigningCredentials
from .providers.base import ImageProvider, TextProvider
from .providers.budget import Budget
from .providers.chain import CallLog
from .providers.prices import prices_read_on
from .providers.setup import build_chain, build_text_provider
from .readback import read_back_group, readers, skipped_group, warm_readers
from .report import write_report
from .settings import Settings
from .sources import (
    Event,
    LocaleFonts,
    LocaleLogos,
    Source,
    SourceStream,
    brand_fonts,
    load_logos,
    shape_key,
)

Progress = Callable[[str, int, int], None]
CreativeKey = tuple[str, str, str]  # (product id, aspect ratio, locale)
GroupKey = tuple[str, str]  # (product id, format name)


class Checkpoints(Protocol):
    """How a resumable run (the service's worker) keeps what is finished. Without it a
    campaign runs start to end in one go, as `cap run` does."""

    def finished(self) -> Mapping[CreativeKey, CreativeRecord]:
        """Creatives an earlier attempt finished: not rendered or paid for again."""
        ...

    def group_done(self, records: list[CreativeRecord], folder: Path) -> None:
        """A product × format is rendered (its files are under `folder`): keep them."""
        ...

    def should_stop(self) -> bool:
        """True when the campaign was cancelled or taken over: stop at the next group."""
        ...

    def provider_call(self, call: CallLog) -> None:
        """One attempt of the provider chain (called on the chain's event loop: keep it short)."""
        ...


@dataclass
class CampaignResult:
    manifest: Manifest
    folder: Path


def run_campaign(
    brief: Brief,
    *,
    assets_dir: Path | None,
    out_dir: Path,
    settings: Settings,
    provider: ImageProvider | None = None,
    progress: Progress | None = None,
    text_provider: TextProvider | None = None,
    checkpoints: Checkpoints | None = None,
    render_pool: Executor | None = None,
) -> CampaignResult:
    """Render every creative of the brief into out_dir/<campaign_id>/, replaced atomically.

    Each product is rendered as soon as its source is made, while the others are still being
    generated. With `checkpoints`, finished creatives are skipped (a product whose creatives
    are all finished is not generated at all), each finished group is handed over as it
    completes, and the run stops with CampaignStopped when told to.

    Groups render on `render_pool` when one is given (a service worker's, shared by all its
    campaigns, left running here), else on a pool of `settings.workers` started for this run.
    """
    started = time.perf_counter()
    say = progress or (lambda stage, done, total: None)
    if assets_dir is not None and not assets_dir.is_dir():
        raise AssetError(f"the asset folder {assets_dir} does not exist or is not a folder")
    done = dict(checkpoints.finished()) if checkpoints else {}
    # Workers start (and load their fonts) on the other cores while this process builds the
    # provider chain and the providers work: a campaign takes one provider call plus the
    # rendering, not plus a pool's start-up too.
    own = render_pool is None
    pool = render_pool or _executor(settings.workers, len(brief.products) * len(brief.formats))
    warm: list[Future[None]] = []
    # submitting starts the worker processes, which waits for the forkserver's imports: do it
    # off this thread, which meanwhile builds the chain and calls the providers (a shared pool
    # is running already, and has loaded its fonts with its first campaign)
    starter = threading.Thread(
        target=lambda: warm.extend(
            pool.submit(warm_up, brief) for _ in range(settings.workers if own else 0)
        ),
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
        groups: dict[GroupKey, list[CreativeSpec]] = {}
        for spec in plan:
            if spec.key not in done:
                groups.setdefault((spec.product.id, spec.format.name), []).append(spec)
        spent_before = sum(r.cost_usd for r in done.values())
        limit = brief.budget_usd if brief.budget_usd is not None else settings.campaign_budget_usd
        # a resumed campaign's budget is what the earlier attempts left of it
        budget = Budget(None if limit is None else max(0.0, limit - spent_before))
        if provider is None:  # the configured chain: keys present → real providers, procedural
            provider = build_chain(
                settings, budget, on_call=checkpoints.provider_call if checkpoints else None
            )
        logos = load_logos(brief, assets_dir, settings.max_asset_pixels)
        signer = load_signer(
            settings.c2pa_cert,
            settings.c2pa_key.get_secret_value() if settings.c2pa_key else None,
            settings.data_dir,
        )
        by_product: dict[str, list[list[CreativeSpec]]] = {}
        for (pid, _), specs in groups.items():
            by_product.setdefault(pid, []).append(specs)
        todo: list[Product] = [p for p in brief.products if p.id in by_product]
        with campaign_folder(out_dir, brief.campaign_id) as (staging, final):
            run = _Run(
                brief, settings, by_product, logos, fonts, signer, staging, pool, checkpoints, say
            )  # fmt: skip
            run.records, run.total = list(done.values()), len(plan)  # resumed ones count as made
            say("sources", 0, len(todo))
            say("render", len(run.records), len(plan))
            stream = SourceStream(
                brief, assets_dir, provider, run.events, size=settings.generation_size,
                max_pixels=settings.max_asset_pixels, policy=settings.generation_policy,
                products=todo,
            ).start()  # fmt: skip
            try:
                made = 0
                while made < len(todo) or run.pending:
                    kind, item = run.events.get()
                    if kind == "source":
                        made += 1
                        say("sources", made, len(todo))
                        if made == 1:  # the first product to render waits for the pool
                            starter.join()
                            for w in warm:
                                w.result()
                        run.submit(*item)
                    elif kind == "group":
                        run.rendered(item)
                    elif kind == "checked":
                        run.checked(item)
                    elif kind == "sources-error":
                        raise item
            finally:
                stream.stop()
                run.abandon()  # on a failure or a stop: nothing of it left running
            records = run.records
            for r in records:
                r.alt_text, r.alt_text_by = alts.get((r.product_id, r.locale)), alts_by
            order = {spec.key: i for i, spec in enumerate(plan)}
            records.sort(key=lambda r: order.get(r.key, len(order)))
            manifest = _manifest(brief, settings, records, budget, limit, started)
            write_manifest(manifest, staging)
            write_report(manifest, brief, staging)
    finally:
        # on a failure, groups not yet started are dropped rather than awaited
        starter.join()
        if own:
            pool.shutdown(wait=True, cancel_futures=True)
    return CampaignResult(manifest, final)


class _Run:
    """The render side of a campaign: groups submitted as their product's source arrives,
    each finished group's records collected (and checkpointed) as it completes. Everything
    arrives on one queue, so the campaign's thread waits on a single thing."""

    def __init__(
        self,
        brief: Brief,
        settings: Settings,
        groups: dict[str, list[list[CreativeSpec]]],
        logos: LocaleLogos,
        fonts: LocaleFonts,
        signer: SigningCredentials,
        staging: Path,
        pool: Executor,
        checkpoints: Checkpoints | None,
        say: Progress,
    ) -> None:
        self.brief, self.settings, self.groups, self.logos, self.fonts = (
            brief, settings, groups, logos, fonts
        )  # fmt: skip
        self.signer, self.staging, self.pool = signer, staging, pool
        self.checkpoints, self.say = checkpoints, say
        self.events: queue.Queue[Event] = queue.Queue()
        # groups rendering, then being read back: each a future of its records
        self.pending: dict[Future[list[CreativeRecord]], tuple[str, str]] = {}
        threads = max(1, settings.workers)
        self.readers = readers(threads)  # shared by the process's campaigns, never shut down
        if settings.readback == "on":
            warm_readers(self.readers, threads, brief.locale_tags)
        self.costs: dict[tuple[str, str], float] = {}
        self.records: list[CreativeRecord] = []
        self.total = 0

    def submit(self, product: Product, sources: dict[str, Source]) -> None:
        policy = self.settings.generation_policy
        pid = product.id
        for specs in self.groups.get(pid, []):
            skey = shape_key(policy, specs[0].format)
            source = sources[skey]
            self.costs.setdefault((pid, skey), source.cost_usd)
            fut = self.pool.submit(
                render_group, self.brief, source, specs[0].format, specs, self.logos,
                self.settings, self.staging, self.fonts, self.signer,
            )  # fmt: skip
            self.pending[fut] = (pid, skey)
            fut.add_done_callback(lambda f: self.events.put(("group", f)))

    def abandon(self) -> None:
        """Drop the groups not started yet and wait for those rendering (they write into the
        staging folder, which is about to go): the pool may be shared with other campaigns."""
        running = [f for f in self.pending if not f.cancel()]
        wait(running)
        self.pending.clear()

    def rendered(self, fut: Future[list[CreativeRecord]]) -> None:
        """A group is rendered: its copy is read back off the written files (on a reader
        thread, while other groups render), then it is finished."""
        group, source_key = fut.result(), self.pending.pop(fut)
        if self.settings.readback == "off":
            self.finish(skipped_group(group), source_key)
            return
        checked = read_back_group(self.readers, group, self.staging)
        self.pending[checked] = source_key
        checked.add_done_callback(lambda f: self.events.put(("checked", f)))

    def checked(self, fut: Future[list[CreativeRecord]]) -> None:
        self.finish(fut.result(), self.pending.pop(fut))

    def finish(self, group: list[CreativeRecord], source_key: tuple[str, str]) -> None:
        """A group is rendered and checked: book its source's cost once (on the first
        creative made from it), keep its records, hand them to the checkpoints, stop if told
        to."""
        if group and source_key in self.costs:
            group[0].cost_usd = self.costs.pop(source_key)  # each source is paid for once
        self.records += group
        self.say("render", len(self.records), self.total)
        if self.checkpoints is not None:
            self.checkpoints.group_done(group, self.staging)
            if self.checkpoints.should_stop():
                raise CampaignStopped("the campaign was stopped at a checkpoint")


def _manifest(
    brief: Brief,
    settings: Settings,
    records: list[CreativeRecord],
    budget: Budget,
    limit: float | None,
    started: float,
) -> Manifest:
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
        budget_usd=limit,
        provider_calls=[ProviderCall(provider=w, cost_usd=c) for w, c in budget.calls],
        prices_read_on=prices_read_on(),
    )


def _executor(workers: int, tasks: int) -> Executor:
    """Worker processes, one per core: rendering is CPU-bound and much of it holds the GIL.

    The forkserver context starts workers from a clean process that has already imported the
    pipeline (no fork of a threaded parent, no re-import per worker). One worker or one task
    runs in this process. Each worker renders one group at a time on one core: its image
    kernels run single-threaded.
    """
    if workers <= 1 or tasks <= 1:
        return ThreadPoolExecutor(max_workers=1)
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["creative_automation.pipeline"])
    return ProcessPoolExecutor(
        max_workers=min(workers, tasks), mp_context=ctx, initializer=one_thread_per_kernel
    )


__all__ = ["CampaignResult", "Checkpoints", "check_fonts", "render_group", "run_campaign"]
