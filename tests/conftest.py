"""Shared fixtures for the whole suite."""

from __future__ import annotations

from pathlib import Path

import pytest

from creative_automation.providers.resilience import forget_shared_state
from factories import logo, photo


@pytest.fixture
def assets(tmp_path: Path) -> Path:
    folder = tmp_path / "assets"
    folder.mkdir()
    photo().save(folder / "hero.jpg", quality=92)
    logo().save(folder / "logo.png")
    return folder


@pytest.fixture(autouse=True)
def no_real_providers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never reach a real provider: credentials from the developer's shell are removed,
    and what the tool keeps between runs goes to a temporary data dir."""
    for name in (
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "OPENAI_ORG_ID",
        "OPENAI_PROJECT_ID",
        "STABILITY_API_KEY",
        "FIREFLY_CLIENT_ID",
        "FIREFLY_CLIENT_SECRET",
        "CAP_IMAGE_PROVIDERS",
        "CAP_REDIS_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CAP_DATA_DIR", str(tmp_path / ".cap-data"))
    forget_shared_state()  # breakers and rate windows are per process: none leaks between tests
