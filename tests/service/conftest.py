"""Fixtures of the API tests: a real SQLite store and SQLite Huey queue in a tmp dir, the app
over them (TestClient), API keys of each scope, and a campaign really made by the pipeline."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_support import Keys, Publish, make_service, small_brief
from fastapi.testclient import TestClient

from creative_automation.brief import parse_brief
from creative_automation.pipeline import run_campaign
from creative_automation.service.api import create_app
from creative_automation.service.context import Service
from creative_automation.settings import Settings
from creative_automation.storage import CampaignState, CreativeStatus, Scope
from factories import logo, photo


@pytest.fixture(autouse=True)
def no_service_settings_from_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's database, queue and limits are never the ones a test uses."""
    for name in ("CAP_DATABASE_URL", "CAP_QUEUE", "CAP_STORAGE_URL", "CAP_RATE_LIMIT"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    # rate limits have tests of their own: here they would only cut fuzzing short
    built = make_service(tmp_path, rate_limit="100000/minute")
    yield built
    built.close()


@pytest.fixture
def client(service: Service) -> Iterator[TestClient]:
    with TestClient(create_app(service)) as test_client:
        yield test_client


@pytest.fixture
def keys(service: Service) -> Keys:
    made = {
        name: service.store.create_key(name, scope)[0]
        for name, scope in (
            ("read", Scope.READ),
            ("write", Scope.WRITE),
            ("admin", Scope.ADMIN),
            ("other", Scope.WRITE),
        )
    }
    return Keys(**made)


@pytest.fixture
def writer(keys: Keys) -> dict[str, str]:
    return Keys.header(keys.write)


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A campaign folder made once by the real pipeline (procedural provider, one worker)."""
    root = tmp_path_factory.mktemp("rendered")
    assets = root / "assets"
    assets.mkdir()
    photo().save(assets / "hero.jpg", quality=90)
    logo().save(assets / "logo.png")
    settings = Settings(data_dir=root / "data", output_dir=root / "out", workers=1)
    result = run_campaign(
        parse_brief(small_brief()), assets_dir=assets, out_dir=root / "out", settings=settings
    )
    return result.folder


@pytest.fixture
def publish(service: Service, rendered: Path) -> Publish:
    """Publish the rendered folder as campaign `id`, checkpoint its creatives from the
    manifest (as a worker does) and finish it; returns the manifest."""

    def run(campaign_id: str) -> dict[str, Any]:
        store = service.store
        manifest: dict[str, Any] = json.loads((rendered / "manifest.json").read_text())
        store.transition(campaign_id, CampaignState.GENERATING)
        for record in manifest["creatives"]:
            store.checkpoint_creative(
                campaign_id,
                product_id=record["product_id"],
                aspect_ratio=record["aspect_ratio"],
                locale=record["locale"],
                status=CreativeStatus(record["status"]),
                path=record["path"],
                cost_usd=record["cost_usd"],
                record=record,
            )
        uri = service.files.publish(rendered, campaign_id)
        store.transition(campaign_id, CampaignState.RENDERING)
        store.transition(campaign_id, CampaignState.CHECKING)
        store.transition(campaign_id, CampaignState.SUCCEEDED, output_uri=uri)
        return manifest

    return run
