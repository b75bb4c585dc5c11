"""Runs one queued campaign in a worker: lease, heartbeat, checkpoints, outputs, final state."""

from __future__ import annotations

import contextlib
import logging
import tempfile
import threading
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from ..brief import parse_brief
from ..errors import (
    CampaignStopped,
    CreativeAutomationError,
    InvalidTransition,
    LeaseLost,
    NotFound,
)
from ..manifest import CreativeRecord, Manifest
from ..pipeline import CreativeKey, run_campaign
from ..providers.chain import CallLog
from ..storage import CallOutcome, Campaign, CampaignState, CreativeCheckpoint, CreativeStatus
from ..storage.files import MANIFEST
from . import webhooks
from .context import Service
from .reviews import publish_review_state

log = logging.getLogger(__name__)
S = CampaignState
# the order a run moves through; a campaign taken over mid-run only ever moves forward
_FORWARD = [S.QUEUED, S.GENERATING, S.RENDERING, S.CHECKING]


@dataclass
class Lease:
    """What a run knows of its lease: read at its checkpoints (a flag: no round trip)."""

    campaign_id: str
    cancelled: bool = False  # someone asked for the campaign to stop
    lost: bool = False  # another worker took it over, or it ended


class Heartbeats:
    """Renews the leases of all the campaigns this worker runs, in one statement on one
    thread, every quarter of the lease but at least every CANCEL_CHECK_S, and notices a cancel
    request or a lost lease, which each run reads at its next checkpoint. One round trip per
    tick for the whole worker, however many campaigns it has in hand."""

    CANCEL_CHECK_S = 3.0

    def __init__(self, service: Service, worker_id: str) -> None:
        self.service, self.worker_id = service, worker_id
        self._leases: dict[str, Lease] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @contextlib.contextmanager
    def held(self, campaign_id: str) -> Iterator[Lease]:
        """The campaign's lease, renewed while the block runs."""
        lease = Lease(campaign_id)
        with self._lock:
            self._leases[campaign_id] = lease
            if self._thread is None:
                self._thread = threading.Thread(target=self._beat, name="heartbeats",
                                                daemon=True)  # fmt: skip
                self._thread.start()
        try:
            yield lease
        finally:
            with self._lock:
                self._leases.pop(campaign_id, None)

    def renew(self) -> None:
        """Renew every lease in hand now; flag the cancelled and the lost."""
        with self._lock:
            leases = dict(self._leases)
        renewed = self.service.store.heartbeat_many(list(leases), self.worker_id)
        for campaign_id, lease in leases.items():
            if campaign_id not in renewed:
                lease.lost = True
            elif renewed[campaign_id]:
                lease.cancelled = True

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _beat(self) -> None:
        interval = min(self.service.settings.lease_s / 4, self.CANCEL_CHECK_S)
        while not self._stop.wait(interval):
            try:
                self.renew()
            except CreativeAutomationError as exc:  # the database is down for a moment
                log.warning("heartbeat of %d campaign(s) failed: %s", len(self._leases), exc)


class StoreCheckpoints:
    """The pipeline's Checkpoints over the metadata and file stores: a finished group's files
    are stored first, then checkpointed, so a checkpoint always has its files."""

    def __init__(self, service: Service, campaign: Campaign, lease: Lease) -> None:
        self.service, self.campaign, self.lease = service, campaign, lease

    def finished(self) -> Mapping[CreativeKey, CreativeRecord]:
        records = (
            CreativeRecord.model_validate(c.record)
            for c in self.service.store.creatives(self.campaign.id)
        )
        return {record.key: record for record in records}

    def group_done(self, records: list[CreativeRecord], folder: Path) -> None:
        for record in records:
            if record.path is not None:
                data = (folder / record.path).read_bytes()
                self.service.files.put(self.campaign.id, record.path, data)
        self.service.store.checkpoint_creatives(
            self.campaign.id,
            [
                CreativeCheckpoint(
                    record.product_id,
                    record.aspect_ratio,
                    record.locale,
                    CreativeStatus(record.status),
                    record.path or "",
                    record.cost_usd,
                    record.model_dump(mode="json"),
                )
                for record in records
            ],
        )

    def should_stop(self) -> bool:
        return self.lease.cancelled or self.lease.lost

    def provider_call(self, call: CallLog) -> None:
        self.service.store.record_provider_call(
            self.campaign.id,
            provider=call.provider,
            model=call.model,
            latency_s=call.latency_s,
            cost_usd=call.cost_usd,
            outcome=CallOutcome(call.outcome),
        )


class CampaignRunner:
    """The queue's task body: `runner(campaign_id)` runs it to a final state, or resumes it.

    The process's campaigns run side by side on the consumer's threads, each waiting on its
    providers most of the time, and render on one pool of `render_threads` shared by them
    all: groups are rendered in the order they became ready, one per thread, rather than
    every campaign's at once contending for the same cores (measured: a third more
    campaigns per hour on two cores than a render thread per campaign).
    """

    def __init__(self, service: Service, worker_id: str) -> None:
        self.service = service
        self.worker_id = worker_id
        self.render_pool = ThreadPoolExecutor(
            service.settings.render_threads, thread_name_prefix="render"
        )
        self.heartbeats = Heartbeats(service, worker_id)
        self.finished = threading.Event()  # set when a campaign ends: its webhook is due
        self._states: dict[str, CampaignState] = {}  # the state each running campaign is in

    def __call__(self, campaign_id: str) -> None:
        store = self.service.store
        lease = timedelta(seconds=self.service.settings.lease_s)
        try:
            campaign = store.claim(campaign_id, self.worker_id, stale_after=lease)
        except NotFound:  # a job left on a shared queue by another database's service
            log.warning("no campaign %s in this service's database: job dropped", campaign_id)
            return
        if campaign is None:  # finished, or a live worker has it: a duplicate delivery
            log.info("campaign %s is not ours to run (finished or leased)", campaign_id)
            return
        self._states[campaign_id] = campaign.state
        try:
            self._run(campaign)
        finally:
            self._states.pop(campaign_id, None)
            with contextlib.suppress(CreativeAutomationError):
                store.release(campaign_id, self.worker_id)

    def close(self) -> None:
        """After the consumer has stopped: its campaigns have nothing left to render or renew."""
        self.render_pool.shutdown(wait=True, cancel_futures=True)
        self.heartbeats.close()

    def _run(self, campaign: Campaign) -> None:
        if campaign.cancel_requested:
            self._finish(campaign.id, S.CANCELLED, "cancelled before it started")
            return
        self._advance(campaign.id, S.GENERATING)
        with self.heartbeats.held(campaign.id) as beat:
            try:
                manifest = self._pipeline(campaign, beat)
            except CampaignStopped:
                if beat.cancelled and not beat.lost:
                    self._finish(campaign.id, S.CANCELLED, "cancelled while running")
                return  # a lost lease: the worker that took over finishes it
            except CreativeAutomationError as exc:  # the brief's or the inputs' fault: say why
                self._finish(campaign.id, S.FAILED, str(exc))
                return
            except Exception as exc:
                if _exiting(exc):  # Ctrl-C: the lease runs out and another worker resumes it
                    log.warning("campaign %s left to its lease: the worker is exiting", campaign.id)
                    return
                log.exception("campaign %s failed", campaign.id)
                self._finish(campaign.id, S.FAILED, "internal error (see the worker's log)")
                return
        made = sum(r.path is not None for r in manifest.creatives)
        final = (
            S.SUCCEEDED
            if made == len(manifest.creatives)
            else S.PARTIALLY_SUCCEEDED
            if made
            else S.FAILED
        )
        error = None if made else "no creative could be made (see each creative's findings)"
        self._advance(campaign.id, S.RENDERING)  # both are passed even when nothing was left
        self._advance(campaign.id, S.CHECKING)
        self._finish(campaign.id, final, error, self.service.files.uri(campaign.id))

    def _pipeline(self, campaign: Campaign, beat: Lease) -> Manifest:
        settings = self.service.settings
        if campaign.providers:  # moved off a provider that was down (agent/healing.py)
            settings = settings.model_copy(update={"image_providers": campaign.providers})
        brief = parse_brief(campaign.brief, source=f"campaign {campaign.id}")
        with tempfile.TemporaryDirectory(prefix=f"cap-{campaign.id}-") as tmp:
            assets = Path(tmp) / "assets"
            assets.mkdir()
            self.service.files.fetch_inputs(campaign.id, assets)

            def progress(stage: str, done: int, total: int) -> None:
                if stage == "sources" and done == total:
                    self._advance(campaign.id, S.RENDERING)
                elif stage == "render" and done == total:
                    self._advance(campaign.id, S.CHECKING)

            result = run_campaign(
                brief,
                assets_dir=assets,
                out_dir=Path(tmp) / "out",
                settings=settings,
                progress=progress,
                checkpoints=StoreCheckpoints(self.service, campaign, beat),
                render_pool=self.render_pool,
            )
            # the report, then the manifest last: a reader that sees the manifest sees it all
            for name in ("report.html", MANIFEST):
                self.service.files.put(campaign.id, name, (result.folder / name).read_bytes())
            # reviews made while it ran (of its checkpointed creatives) go into the outputs too
            try:
                publish_review_state(self.service, campaign.id)
            except CreativeAutomationError as exc:  # the reviews are kept: the next one shows
                log.warning("campaign %s: its reviews are not in its outputs: %s", campaign.id, exc)
            return result.manifest

    def _advance(self, campaign_id: str, target: CampaignState) -> None:
        current = self._states[campaign_id]  # only this worker moves it while it holds it
        if current in _FORWARD and _FORWARD.index(current) < _FORWARD.index(target):
            self.service.store.transition(
                campaign_id, target, {"worker_id": self.worker_id}, worker_id=self.worker_id
            )
            self._states[campaign_id] = target

    def _finish(
        self,
        campaign_id: str,
        state: CampaignState,
        error: str | None = None,
        output_uri: str | None = None,
    ) -> None:
        try:
            campaign = self.service.store.transition(
                campaign_id,
                state,
                {"worker_id": self.worker_id},
                worker_id=self.worker_id,
                error=error,
                output_uri=output_uri,
            )
        except (LeaseLost, InvalidTransition) as exc:  # someone else finished or took it
            log.warning("campaign %s: final state %s not recorded: %s", campaign_id, state, exc)
            return
        if webhooks.notify(self.service, campaign) is not None:
            self.finished.set()  # the worker's sender delivers it now, not at its next tick


def _exiting(exc: BaseException) -> bool:
    """The process is exiting under the campaign: Python refuses new thread-pool work after
    its shutdown hooks have run (RuntimeError "cannot schedule new futures after shutdown")."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, RuntimeError) and "after shutdown" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


__all__ = ["CampaignRunner", "Heartbeats", "Lease", "StoreCheckpoints"]
