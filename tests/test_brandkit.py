"""The brand kit: embedded or a file beside the brief, roles, per-place tables and overrides."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from creative_automation.brief import load_brand_kit, load_brief, parse_brief
from creative_automation.errors import BriefError
from factories import brief_data

KIT = {
    "name": "Aurora Roasters",
    "logo": "logo.png",
    "logo_min_width_px": 140,
    "logo_clear_space": 0.75,
    "palette": ["#2B1B17", "#E07A2E", {"hex": "#f4e9dc", "role": "text"}],
    "fonts": ["Brand.ttf"],
    "tone": ["warm", "confident"],
    "prohibited_words": ["cure"],
    "prohibited_claims": {"*": ["clinically proven"], "US": ["FDA approved"]},
    "disclaimers": {"US": ["Terms apply."], "de": ["Es gelten die AGB."]},
    "locales": {
        "de": {"prohibited_words": ["gratis"]},
        "DE": {"logo": "logo-de.png"},
        "de-AT": {"logo": "logo-at.png", "tone": ["herzlich"]},
    },
}


def _write(path: Path, data: object) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_a_brief_names_a_kit_file_beside_it(tmp_path: Path) -> None:
    (tmp_path / "kits").mkdir()
    _write(tmp_path / "kits" / "aurora.yaml", KIT)
    brief = load_brief(_write(tmp_path / "brief.yaml", brief_data(brand="kits/aurora.yaml")))
    kit = brief.brand
    assert kit is not None and kit.name == "Aurora Roasters" and kit.logo_min_width_px == 140
    assert [(c.hex, c.role) for c in kit.colours] == [
        ("#2B1B17", "primary"),
        ("#E07A2E", "accent"),
        ("#F4E9DC", "text"),
    ]
    assert kit.colour("text") == "#F4E9DC" and kit.hexes[1] == "#E07A2E"


def test_kit_file_errors_name_the_kit_file_and_its_fields(tmp_path: Path) -> None:
    bad = {**KIT, "palette": ["#2B1B17", "teal"], "logo_clear_spce": 1, "disclaimers": {"U S": []}}
    _write(tmp_path / "kit.yaml", bad)
    with pytest.raises(BriefError) as exc:
        load_brief(_write(tmp_path / "brief.yaml", brief_data(brand="kit.yaml")))
    assert exc.value.source.endswith("kit.yaml")
    found = {p.path: p.message for p in exc.value.problems}
    assert "hex colour" in found["palette[1]"]
    assert found["logo_clear_spce"] == "unknown field (did you mean 'logo_clear_space'?)"
    assert "is not a place" in found["disclaimers"]


def test_a_missing_kit_file_is_a_brief_error(tmp_path: Path) -> None:
    with pytest.raises(BriefError) as exc:
        load_brief(_write(tmp_path / "brief.yaml", brief_data(brand="nowhere.yaml")))
    assert exc.value.source.endswith("nowhere.yaml")
    assert "not found" in str(exc.value)


def test_a_kit_file_name_without_a_brief_file_says_embed_it() -> None:
    with pytest.raises(BriefError) as exc:
        parse_brief(brief_data(brand="kit.yaml"))
    assert [p.path for p in exc.value.problems] == ["brand"]
    assert "embed the kit" in exc.value.problems[0].message


def test_legal_tables_apply_by_place_and_overrides_add_up(tmp_path: Path) -> None:
    kit = load_brand_kit(_write(tmp_path / "kit.yaml", KIT))
    assert kit.prohibited("en-US") == ["cure", "clinically proven", "FDA approved"]
    assert kit.prohibited("de-DE") == ["cure", "gratis", "clinically proven"]
    assert kit.required_disclaimers("en-US") == ["Terms apply."]
    assert kit.required_disclaimers("de-AT") == ["Es gelten die AGB."]
    assert kit.required_disclaimers("ja-JP") == []


def test_the_most_specific_override_wins(tmp_path: Path) -> None:
    kit = load_brand_kit(_write(tmp_path / "kit.yaml", KIT))
    assert kit.for_locale("de-DE").logo == "logo-de.png"
    assert kit.for_locale("de-AT").logo == "logo-at.png"  # locale beats language
    assert kit.for_locale("de-AT").tone == ["herzlich"]
    assert kit.for_locale("en-US").logo == "logo.png" and kit.for_locale("en-US").tone[0] == "warm"
    assert kit.logo_files() == ["logo.png", "logo-de.png", "logo-at.png"]
    assert [path for path, _, _ in kit.files()][-1] == "brand.locales.de-AT.logo"


def test_an_embedded_kit_validates_like_the_brief() -> None:
    with pytest.raises(BriefError) as exc:
        parse_brief(brief_data(brand={**KIT, "logo_min_width_px": 4, "palette": [{"hex": "#1"}]}))
    found = {p.path: p.message for p in exc.value.problems}
    assert "greater than or equal to 16" in found["brand.logo_min_width_px"]
    assert "hex colour" in found["brand.palette[0].hex"]


def test_the_kit_tone_words_reach_the_image_prompt() -> None:
    from creative_automation.prompts import product_prompt

    brief = parse_brief(brief_data(brand={**KIT, "logo": None}))
    prompt = product_prompt(brief, brief.products[0])
    assert "Mood: warm, confident." in prompt
    staged = product_prompt(brief, brief.products[0], staged=True)
    assert "Mood: warm, confident." in staged
    plain = parse_brief(brief_data(brand={"name": "B"}))
    assert "Mood" not in product_prompt(plain, plain.products[0])
