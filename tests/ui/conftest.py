"""A real API for the UI's tests: the app served by uvicorn on a free port over a SQLite store
and queue in a tmp dir (the embedded defaults), with an embedded worker that really makes the
campaigns (procedural provider), and a campaign made before the tests look at it."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from ui_support import LiveApi, small_brief

from creative_automation.service.api import create_app
from creative_automation.service.context import build_service
from creative_automation.service.worker import EmbeddedWorker
from creative_automation.settings import Settings
from creative_automation.storage import Scope
from live import uvicorn_thread


def _theirs(name: str) -> bool:
    return (name.startswith("CAP_") and not name.startswith("CAP_TEST_")) or name.startswith(
        ("OPENAI_", "STABILITY_", "FIREFLY_")
    )


@pytest.fixture(scope="session")
def live_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApi]:
    root = tmp_path_factory.mktemp("ui-api")
    # nothing from the developer's shell: no provider credentials, no other database
    saved = {name: os.environ.pop(name) for name in list(os.environ) if _theirs(name)}
    settings = Settings(
        data_dir=root / "data",
        image_providers="procedural",
        alt_text="brief",
        workers=1,
        rate_limit="100000/minute",
    )
    service = build_service(settings)
    service.store.upgrade()
    write_key = service.store.create_key("ui-tests", Scope.WRITE)[0]
    read_key = service.store.create_key("ui-reader", Scope.READ)[0]
    worker = EmbeddedWorker(settings, 1).start()
    try:
        with uvicorn_thread(create_app(service)) as url:
            yield LiveApi(url, service, write_key, read_key)
    finally:
        worker.stop()
        service.close()
        os.environ.update(saved)


@pytest.fixture(scope="session")
def finished(live_api: LiveApi) -> str:
    """A campaign the worker really made (four creatives), finished before a page shows it."""
    campaign_id = live_api.submit(small_brief())
    body = live_api.wait_finished(campaign_id)
    assert body["state"] == "succeeded", body
    return campaign_id


@pytest.fixture
def ui_env(live_api: LiveApi, monkeypatch: pytest.MonkeyPatch) -> LiveApi:
    """The UI's settings point at the live API with its write key, and at nothing else."""
    for name in list(os.environ):
        if name.startswith("CAP_") and not name.startswith("CAP_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("CAP_API_URL", live_api.url)
    monkeypatch.setenv("CAP_API_KEY", live_api.write_key)
    return live_api
