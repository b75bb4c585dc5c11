"""Shared fixtures for the whole suite."""

from __future__ import annotations

from pathlib import Path

import pytest

from factories import logo, photo


@pytest.fixture
def assets(tmp_path: Path) -> Path:
    folder = tmp_path / "assets"
    folder.mkdir()
    photo().save(folder / "hero.jpg", quality=92)
    logo().save(folder / "logo.png")
    return folder
