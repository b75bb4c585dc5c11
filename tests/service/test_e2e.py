"""End to end with real processes, as a user runs them: `cap serve` with embedded workers on
SQLite, or `cap serve` plus a `cap worker` on Redis and PostgreSQL; a key from `cap keys create`,
the example brief uploaded with its assets, polled to success, the archive and one file
downloaded, the signed webhook received, /metrics read; Idempotency-Key replays."""

from __future__ import annotations

import io
import json
import mimetypes
import os
import subprocess
import time
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from PIL import Image
from prometheus_client.parser import text_string_to_metric_families
from pytest_httpserver import HTTPServer
from sqlalchemy import create_engine, text
from test_processes import environment, worker_process
from werkzeug import Request, Response

from backends import require_redis
from creative_automation.service.webhooks import verify
from creative_automation.settings import normalise_database_url
from creative_automation.storage import CampaignState
from live import CAP, cap_process, free_port, wait_until
from storage.databases import postgres_schema

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BRIEF = EXAMPLES / "aurora-summer.yaml"
ASSETS = EXAMPLES / "assets"
SECRET = "whsec-e2e-5f0c9a17d2b84e63"
HOOK = "/hooks/cap"
KEY = {"Idempotency-Key": "aurora-launch-1"}
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture(autouse=True)
def only_our_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """The processes see the settings each test gives them, none from the developer's shell."""
    for name in list(os.environ):
        if name.startswith("CAP_") and not name.startswith("CAP_TEST_"):
            monkeypatch.delenv(name)


@dataclass
class Deployment:
    """A running service: its URL, the environment its processes share, their log."""

    base: str
    env: dict[str, str]
    log: Path
    procs: tuple[subprocess.Popen[bytes], ...]
    runs_campaigns: subprocess.Popen[bytes]  # the process whose workers take campaigns

    def wait(self, check: Callable[[], object], seconds: float, what: str) -> None:
        wait_until(check, seconds, what, self.log, self.procs)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def client(self, key: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.base, headers={"Authorization": f"Bearer {key}"}, timeout=30
        )


def cap(env: dict[str, str], *args: str) -> str:
    """Run a `cap` command to completion; its standard output."""
    done = subprocess.run(
        [CAP, *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, f"cap {' '.join(args)} exited {done.returncode}\n{done.stderr}"
    return done.stdout


def ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


@contextmanager
def api_server(
    env: dict[str, str], log: Path, embedded_workers: int
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    args = ["serve", "--host", "127.0.0.1", "--port", str(port)]
    with cap_process([*args, "--embedded-workers", str(embedded_workers)], env, log) as proc:
        wait_until(lambda: ready(base), 30, f"{base}/readyz", log, (proc,))
        yield base, proc


@contextmanager
def deployment(kind: str, tmp_path: Path) -> Iterator[Deployment]:
    """embedded: one `cap serve` running campaigns itself, everything in SQLite files.
    scale: `cap db upgrade`, an API-only `cap serve` and a `cap worker` on Redis + PostgreSQL."""
    log = tmp_path / "service.log"
    # the webhook receiver is on 127.0.0.1
    env = environment(tmp_path, CAP_WEBHOOK_SECRET=SECRET, CAP_WEBHOOK_ALLOW_PRIVATE="true")
    if kind == "embedded":
        with api_server(env, log, embedded_workers=2) as (base, api):
            yield Deployment(base, env, log, (api,), runs_campaigns=api)
        return
    redis_url = require_redis()
    with postgres_schema() as database_url:  # dropped only once every process has stopped
        env |= {
            "CAP_REDIS_URL": redis_url,
            # a queue of its own: other tests and other runs share the Redis server
            "CAP_QUEUE_NAME": f"e2e{os.getpid()}{time.time_ns()}",
            "CAP_DATABASE_URL": database_url,
        }
        cap(env, "db", "upgrade")
        with (
            worker_process(env, log, concurrency=2) as worker,
            api_server(env, log, embedded_workers=0) as (base, api),
        ):
            yield Deployment(base, env, log, (api, worker), runs_campaigns=worker)


def create_key(deploy: Deployment) -> str:
    out = cap(deploy.env, "keys", "create", "--name", "e2e", "--scope", "write")
    assert len(out.splitlines()) == 1, f"the key alone on stdout, got {out!r}"
    return out.strip()


def example() -> dict[str, Any]:
    brief: dict[str, Any] = yaml.safe_load(BRIEF.read_text())
    return brief


def named_files(brief: dict[str, Any]) -> list[str]:
    """The files the brief names, as a user would attach them (its brand kit file among them)."""
    brand = brief.get("brand") or {}
    names = [a for p in brief["products"] for a in p.get("assets", [])]
    if isinstance(brand, str):  # a kit file beside the brief: attached too, with its logo
        names.append(brand)
        brand = yaml.safe_load((EXAMPLES / brand).read_text())
    names += [brand[k] for k in ("logo", "logo_on_dark") if brand.get(k)]
    return [*names, *brand.get("fonts", [])]


def submit(
    http: httpx.Client, headers: dict[str, str] | None = None, brief_text: str | None = None
) -> httpx.Response:
    """POST the example brief as multipart, with each file it names from examples/assets."""
    text = BRIEF.read_text() if brief_text is None else brief_text
    parts = [("brief", (BRIEF.name, text.encode(), "application/yaml"))]
    for name in named_files(yaml.safe_load(text)):
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        folder = EXAMPLES if (EXAMPLES / name).is_file() else ASSETS
        parts.append(("files", (name, (folder / name).read_bytes(), kind)))
    return http.post("/v1/campaigns", files=parts, headers=headers)


def finished(deploy: Deployment, http: httpx.Client, campaign_id: str) -> dict[str, Any]:
    """Poll the campaign's status until it is final; the last status."""
    seen: dict[str, Any] = {}

    def done() -> bool:
        response = http.get(f"/v1/campaigns/{campaign_id}", params={"events": "true"})
        assert response.status_code == 200, response.text
        seen.update(response.json())
        return CampaignState(seen["state"]).terminal

    try:
        deploy.wait(done, 45, f"campaign {campaign_id} to finish")
    except AssertionError as exc:
        last = {k: seen.get(k) for k in ("state", "progress", "error", "attempts")}
        last["events"] = [e["kind"] for e in seen.get("events") or []]
        raise AssertionError(f"last status: {json.dumps(last)}\n{exc}") from None
    assert seen["state"] == "succeeded", f"{seen['state']}: {seen['error']}\n{deploy.tail()}"
    return seen


def stored_state(database_url: str, campaign_id: str) -> str:
    engine = create_engine(normalise_database_url(database_url))
    try:
        with engine.connect() as connection:
            query = text("SELECT state FROM campaigns WHERE id = :id")
            return str(connection.execute(query, {"id": campaign_id}).scalar_one())
    finally:
        engine.dispose()


def metric_samples(http: httpx.Client) -> Samples:
    response = http.get("/metrics")
    assert response.status_code == 200, response.text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def webhook_receiver(server: HTTPServer) -> list[dict[str, Any]]:
    """Every POST to HOOK, as received (raw body and headers); answered 204."""
    received: list[dict[str, Any]] = []

    def receive(request: Request) -> Response:
        received.append({"body": request.get_data(), "headers": dict(request.headers)})
        return Response(status=204)

    server.expect_request(HOOK, method="POST").respond_with_handler(receive)
    return received


@pytest.mark.parametrize("kind", ["embedded", "scale"])
def test_the_example_campaign_end_to_end(
    kind: str, tmp_path: Path, httpserver_ipv4: HTTPServer
) -> None:
    brief = example()
    combos = {
        (p["id"], ratio, locale)
        for p in brief["products"]
        for ratio in brief["formats"]
        for locale in brief["locales"]
    }
    expected = len(brief["products"]) * len(brief["formats"]) * len(brief["locales"])
    assert len(combos) == expected == 24
    received = webhook_receiver(httpserver_ipv4)
    hook_url = httpserver_ipv4.url_for(HOOK)
    with deployment(kind, tmp_path) as deploy, deploy.client(create_key(deploy)) as http:
        created = submit(http, {"X-Webhook-URL": hook_url})
        assert created.status_code == 202, created.text
        campaign_id = created.json()["id"]
        assert created.headers["location"] == created.json()["status_url"]
        status = finished(deploy, http, campaign_id)
        assert status["progress"] == {"creatives_done": expected, "creatives_expected": expected}
        assert status["webhook_url"] == hook_url
        (claim,) = [e for e in status["events"] if e["kind"] == "claimed"]
        assert claim["detail"]["worker_id"].split(":")[1] == str(deploy.runs_campaigns.pid)
        if "CAP_DATABASE_URL" in deploy.env:  # really in PostgreSQL, not a SQLite file
            assert stored_state(deploy.env["CAP_DATABASE_URL"], campaign_id) == "succeeded"
            assert not (tmp_path / "data" / "cap.db").exists()

        creatives = http.get(f"/v1/campaigns/{campaign_id}/creatives")
        assert creatives.status_code == 200, creatives.text
        items = creatives.json()["items"]
        assert {(c["product_id"], c["aspect_ratio"], c["locale"]) for c in items} == combos
        assert len(items) == expected
        assert all(c["status"] != "failed" and c["download_url"] for c in items), items
        assert all(c["compliance"] for c in items)

        archive = http.get(f"/v1/campaigns/{campaign_id}/archive")
        assert archive.status_code == 200, archive.text
        assert archive.headers["content-type"] == "application/zip"
        with zipfile.ZipFile(io.BytesIO(archive.content)) as zipped:
            names = set(zipped.namelist())
            assert {"manifest.json", "report.html"} <= names
            manifest = json.loads(zipped.read("manifest.json"))
            records = manifest["creatives"]
            assert len(records) == manifest["totals"]["creatives"] == expected
            assert {(r["product_id"], r["aspect_ratio"], r["locale"]) for r in records} == combos
            # the uploaded photo reached the worker: reused, not silently generated instead
            sources = {
                p["id"]: "asset" if p.get("assets") else "generated" for p in brief["products"]
            }
            assert {r["product_id"]: r["source"] for r in records} == sources
            # every locale its own file (never one path written over by the next)
            assert len({r["path"] for r in records}) == expected
            assert names - {"manifest.json", "report.html"} == {r["path"] for r in records}
            for record in records:
                with Image.open(io.BytesIO(zipped.read(record["path"]))) as image:
                    image.load()
                    assert image.size == (record["width"], record["height"]), record["path"]
            one = items[0]
            in_zip = zipped.read(one["path"])

        assert one["download_url"].startswith(f"{deploy.base}/v1/campaigns/{campaign_id}/files/")
        download = http.get(one["download_url"])
        assert download.status_code == 200, download.text
        assert download.headers["content-type"] == "image/jpeg"
        assert download.content == in_zip

        deploy.wait(lambda: received, 20, "the campaign.succeeded webhook")
        samples = metric_samples(http)
        assert samples[("cap_campaigns", (("state", "succeeded"),))] == 1
        assert samples[("cap_campaign_duration_seconds_count", (("state", "succeeded"),))] == 1
        assert samples[("cap_store_up", ())] == samples[("cap_queue_up", ())] == 1
        assert samples[("cap_queue_depth", ())] == 0
        made = sum(v for (name, _), v in samples.items() if name == "cap_creatives")
        assert made == expected

    assert len(received) == 1, [r["headers"] for r in received]
    body, headers = received[0]["body"], received[0]["headers"]
    assert verify(SECRET.encode(), headers["X-Cap-Signature"], body)
    assert not verify(b"not-the-secret-0123456789", headers["X-Cap-Signature"], body)
    event = json.loads(body)
    assert event["event"] == headers["X-Cap-Event"] == "campaign.succeeded"
    assert event["id"] == headers["X-Cap-Delivery"]
    assert event["data"]["campaign"]["id"] == campaign_id
    assert event["data"]["campaign"]["creatives_done"] == expected


def test_an_idempotency_key_replays_through_the_real_server(tmp_path: Path) -> None:
    with deployment("embedded", tmp_path) as deploy, deploy.client(create_key(deploy)) as http:
        first = submit(http, KEY)
        again = submit(http, KEY)
        assert first.status_code == 202, first.text
        assert again.status_code == 200, again.text
        assert again.headers["idempotent-replayed"] == "true"
        campaign_id = first.json()["id"]
        assert again.json()["id"] == campaign_id

        # two at once with a fresh key: one campaign between them
        with ThreadPoolExecutor(2) as pool:
            racing = list(pool.map(lambda _: submit(http, {"Idempotency-Key": "race"}), range(2)))
        assert sorted(r.status_code for r in racing) == [200, 202], [r.text for r in racing]
        raced_id = racing[0].json()["id"]
        assert racing[1].json()["id"] == raced_id != campaign_id

        for cid in (campaign_id, raced_id):
            status = finished(deploy, http, cid)
            assert status["attempts"] == 1
            (claim,) = [e for e in status["events"] if e["kind"] == "claimed"]
        assert claim["detail"]["worker_id"].split(":")[1] == str(deploy.runs_campaigns.pid)
        if "CAP_DATABASE_URL" in deploy.env:  # really in PostgreSQL, not a SQLite file
            assert stored_state(deploy.env["CAP_DATABASE_URL"], campaign_id) == "succeeded"
            assert not (tmp_path / "data" / "cap.db").exists()
        # a replay after it finished is still that campaign, not a new run
        late = submit(http, KEY)
        assert late.status_code == 200 and late.json()["id"] == campaign_id
        # the key with another brief is a conflict, never a silent replay
        other = submit(http, KEY, BRIEF.read_text().replace("seed: 7", "seed: 8"))
        assert other.status_code == 409, other.text
        assert other.headers["content-type"] == "application/problem+json"

        listed = http.get("/v1/campaigns").json()["items"]
        assert sorted(c["id"] for c in listed) == sorted([campaign_id, raced_id])
        samples = metric_samples(http)
        assert samples[("cap_campaigns", (("state", "succeeded"),))] == 2
        assert sum(v for (name, _), v in samples.items() if name == "cap_creatives") == 48
