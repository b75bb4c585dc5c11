"""`cap db` and `cap keys`: the metadata database's migrations and the API's keys."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.table import Table

from .cli_console import err, fail, out
from .errors import CreativeAutomationError
from .settings import load_settings

if TYPE_CHECKING:
    from .storage import MetadataStore

db_app = typer.Typer(
    no_args_is_help=True, help="The metadata database (CAP_DATABASE_URL): its schema migrations."
)
keys_app = typer.Typer(
    no_args_is_help=True, help="API keys of the HTTP API; only their SHA-256 is stored."
)
ScopeName = Literal["read", "write", "admin"]


@contextmanager
def _store(*, ensure_schema: bool = True) -> Iterator[MetadataStore]:
    # imported here: `cap run` and `cap validate` never touch the database, so they do not pay
    # for loading SQLAlchemy and Alembic
    from .storage import build_metadata_store

    store = build_metadata_store(load_settings())
    try:
        if ensure_schema:
            # A missing schema is created: on a fresh data dir `cap keys create` just works, and
            # there is nothing to lose. A schema at another revision is refused with the
            # `cap db upgrade` hint instead: other processes may be running the code it belongs
            # to, so changing it stays an explicit step.
            store.ensure_schema()
        yield store
    finally:
        store.close()


def _migrate(direction: Literal["upgrade", "downgrade"], to: str) -> None:
    try:
        with _store(ensure_schema=False) as store:
            before = store.current_revision()
            getattr(store, direction)(to)
            after, where = store.current_revision(), store.url
    except CreativeAutomationError as exc:
        fail(exc)
    change = (
        f"already at {after or 'base'}"
        if before == after
        else f"{before or 'empty'} → {after or 'base'}"
    )
    out().print(f"metadata database {where}: {change}", highlight=False)


@db_app.command("upgrade")
def db_upgrade(
    to: Annotated[str, typer.Option("--to", help="Target revision.")] = "head",
) -> None:
    """Migrate the metadata database up to the latest schema (or --to REV)."""
    _migrate("upgrade", to)


@db_app.command("downgrade")
def db_downgrade(
    to: Annotated[
        str, typer.Option("--to", help="Target revision; base drops every table.")
    ] = "base",
) -> None:
    """Migrate the metadata database down to --to REV (default: base, an empty database)."""
    _migrate("downgrade", to)


@db_app.command("current")
def db_current() -> None:
    """Show the metadata database's schema revision and whether it is up to date."""
    try:
        with _store(ensure_schema=False) as store:
            current, head, status, where = (
                store.current_revision(),
                store.head_revision(),
                store.schema_status(),
                store.url,
            )
    except CreativeAutomationError as exc:
        fail(exc)
    hint = {"current": "", "unknown": " (a newer cap migrated it)"}.get(
        status, " (run `cap db upgrade`)"
    )
    out().print(f"metadata database {where}", highlight=False)
    out().print(f"  revision {current or 'none'}, head {head}: {status}{hint}", highlight=False)


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option("--name", help="Who or what the key is for.")],
    scope: Annotated[
        ScopeName, typer.Option(help="read ⊂ write (submit campaigns) ⊂ admin (manage keys).")
    ] = "write",
    webhook: Annotated[
        str | None, typer.Option("--webhook", help="URL notified of this key's campaigns.")
    ] = None,
) -> None:
    """Make an API key. It is printed once, on standard output, and never shown again."""
    from .service.webhooks import check_webhook_url
    from .storage import Scope

    if webhook is not None:
        try:
            check_webhook_url(webhook, allow_private=load_settings().webhook_allow_private)
        except ValueError as exc:
            raise typer.BadParameter(f"{webhook!r} {exc}", param_hint="--webhook") from None
    try:
        with _store() as store:
            plaintext, key = store.create_key(name, Scope(scope), webhook_url=webhook)
    except CreativeAutomationError as exc:
        fail(exc)
    print(plaintext)  # alone on stdout, so `KEY=$(cap keys create --name ci)` captures it
    err().print(
        f"[bold yellow]Copy this key now: it is not shown again[/] (only its hash is kept).\n"
        f"id {key.id} · name {key.name} · scope {key.scope} · prefix {key.prefix}",
        highlight=False,
    )


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"


@keys_app.command("list")
def keys_list() -> None:
    """Every API key, revoked ones included (never the key or its hash)."""
    try:
        with _store() as store:
            keys = store.list_keys()
    except CreativeAutomationError as exc:
        fail(exc)
    if not keys:
        out().print("no API keys yet: cap keys create --name NAME")
        return
    table = Table(title=f"API keys ({len(keys)}, times in UTC)")
    for column in ("id", "name", "scope", "prefix", "created", "last used", "revoked"):
        # ids and prefixes are typed back into `cap keys revoke`: never cut or wrapped
        table.add_column(column, no_wrap=column in ("id", "prefix", "scope"))
    for k in keys:
        table.add_row(
            k.id,
            k.name,
            k.scope.value,
            k.prefix,
            _when(k.created_at),
            _when(k.last_used_at),
            f"[red]{_when(k.revoked_at)}[/]" if k.revoked_at else "-",
        )
    console = out()
    if not console.is_terminal:  # piped or captured: whole rows, not 80 columns of ellipses
        console.width = 200
    console.print(table)


@keys_app.command("revoke")
def keys_revoke(
    key: Annotated[str, typer.Argument(help="The key's id or prefix, as `cap keys list` shows.")],
) -> None:
    """Revoke an API key: from now on it authenticates nothing."""
    try:
        with _store() as store:
            revoked = store.revoke_key(key)
    except CreativeAutomationError as exc:
        fail(exc)
    out().print(
        f"revoked {revoked.id} ({revoked.name}, {revoked.prefix}) "
        f"at {_when(revoked.revoked_at)} UTC",
        highlight=False,
    )


__all__ = ["db_app", "keys_app"]
