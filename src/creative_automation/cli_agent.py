"""`cap agent` and `cap alerts`: the monitoring agent and the alerts it raised."""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from .cli_console import fail, out
from .errors import CreativeAutomationError
from .settings import load_settings

if TYPE_CHECKING:
    from .agent.inbox import Inbox, InboxResult
    from .service.context import Service

alerts_app = typer.Typer(help="Alerts raised by the monitoring agent (`cap agent`).")


@contextmanager
def _service() -> Iterator[Service]:
    from .service.context import build_service

    try:
        service = build_service(load_settings())
        service.store.ensure_schema()
    except CreativeAutomationError as exc:
        fail(exc)
    try:
        yield service
    finally:
        service.close()


def agent(
    inbox: Annotated[
        str | None,
        typer.Option("--inbox", help="Folder or fsspec URL of briefs (CAP_AGENT_INBOX)."),
    ] = None,
    rules: Annotated[
        Path | None,
        typer.Option("--rules", help="YAML of alert thresholds (CAP_AGENT_RULES).", dir_okay=False),
    ] = None,
    once: Annotated[bool, typer.Option("--once", help="One pass, then exit.")] = False,
) -> None:
    """Watch the inbox for briefs, check every campaign and provider, alert, and heal."""
    from .agent.channels import build_channels
    from .agent.inbox import Inbox
    from .agent.loop import Agent
    from .agent.rules import load_rules

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    with _service() as service:
        settings = service.settings
        try:
            url = inbox or settings.agent_inbox or str(settings.data_dir / "inbox")
            if "://" not in url:
                Path(url).mkdir(parents=True, exist_ok=True)
            the_agent = Agent(
                service,
                load_rules(rules or settings.agent_rules),
                build_channels(settings),
                inbox=Inbox(service, url),
            )
            if once:
                results = _settled_scan(the_agent.inbox)
                tick = the_agent.tick()
            else:
                stop = threading.Event()
                for sig in (signal.SIGINT, signal.SIGTERM):
                    signal.signal(sig, lambda *_: stop.set())
                the_agent.run(stop, settings.agent_poll_s)
                return
        except CreativeAutomationError as exc:
            fail(exc)
    console = out()
    for r in results:
        console.print(f"inbox: {r.status} {r.path} {r.campaign_id or ''} {r.detail or ''}")
    console.print(
        f"{len(tick.raised)} alert(s) firing, {len(tick.notified)} sent, "
        f"{len(tick.resolved)} resolved, {len(tick.healed)} healing step(s)"
    )


def _settled_scan(inbox: Inbox | None, rounds: int = 10) -> list[InboxResult]:
    """One pass over the inbox that waits (a few settle intervals at most) for files still
    being written, instead of leaving them to a next pass that `--once` will not make."""
    if inbox is None:
        return []
    results = inbox.scan()
    for _ in range(rounds):
        if not any(r.status == "waiting" and r.detail is None for r in results):
            break
        time.sleep(inbox.settle_s)
        done = {r.path for r in results if r.status != "waiting"}
        results = [r for r in results if r.path in done] + inbox.scan()
    return results


@alerts_app.callback(invoke_without_command=True)
def alerts(
    ctx: typer.Context,
    show_all: Annotated[
        bool, typer.Option("--all", help="Acknowledged and resolved ones too.")
    ] = False,
    campaign: Annotated[str | None, typer.Option("--campaign", help="One campaign's.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON, one object per alert.")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, max=500)] = 100,
) -> None:
    """List the alerts (open ones by default), newest first."""
    if ctx.invoked_subcommand is not None:
        return
    from .storage import AlertStatus

    with _service() as service:
        found = service.store.list_alerts(
            status=None if show_all else AlertStatus.OPEN, campaign_id=campaign, limit=limit
        )
    if as_json:
        from .service.api.schemas import AlertPublic

        docs = [AlertPublic.of(a).model_dump(mode="json") for a in found]
        out().print_json(json.dumps(docs))
        return
    if not found:
        out().print("no alerts" if show_all else "no open alerts")
        return
    table = Table("id", "severity", "status", "campaign", "summary", "action", "seen")
    for a in found:
        colour = {"critical": "red", "warning": "yellow"}.get(a.severity.value, "cyan")
        table.add_row(
            a.id,
            f"[{colour}]{a.severity.value}[/]",
            a.status.value,
            a.campaign_id or "-",
            a.summary,
            a.action,
            f"{a.occurrences}× since {a.first_seen_at:%Y-%m-%d %H:%M}",
        )
    out().print(table)


@alerts_app.command("ack")
def acknowledge(
    alert_id: Annotated[str, typer.Argument(help="The alert's id (alr_…).")],
    by: Annotated[str, typer.Option("--by", help="Who acknowledges it.")] = "cli",
) -> None:
    """Acknowledge an alert: it stops re-notifying until it gets worse."""
    with _service() as service:
        try:
            a = service.store.acknowledge_alert(alert_id, by)
        except CreativeAutomationError as exc:
            fail(exc, 2)
    out().print(f"{a.id}: {a.status.value} by {a.acknowledged_by}")


__all__ = ["agent", "alerts_app"]
