"""The README's settings table is the settings: every one is there, and nothing else is."""

from __future__ import annotations

import re
from pathlib import Path

from creative_automation.settings import Settings

README = Path(__file__).parent.parent / "README.md"


def env_names() -> set[str]:
    names = set()
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        names.add(alias if isinstance(alias, str) else f"CAP_{name.upper()}")
    return names


def table() -> str:
    text = README.read_text()
    start = text.index("## Settings\n")
    return text[start : text.index("\n## ", start + 1)]


def test_every_setting_is_documented_in_the_settings_table() -> None:
    documented = set(re.findall(r"`((?:CAP|OPENAI|STABILITY|FIREFLY)_[A-Z0-9_]+)`", table()))
    assert env_names() - documented == set(), "settings missing from the README table"
    unknown = documented - env_names() - {"OPENAI_BASE_URL"}  # the SDK's own variable
    assert unknown == set(), "the README table names settings that do not exist"
