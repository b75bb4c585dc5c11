"""Brief loading and validation: every problem, with its field path, all at once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from creative_automation.brief import Brief, brief_json_schema, load_brief, parse_brief
from creative_automation.errors import BriefError

EXAMPLE = Path(__file__).parents[1] / "examples" / "aurora-summer.yaml"


def minimal(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "campaign_id": "spring",
        "campaign_name": "Spring",
        "region": "EMEA",
        "audience": "Runners",
        "message": "Run further",
        "products": [{"id": "shoe", "name": "Trail Shoe"}],
    }
    data.update(changes)
    return data


def problems(data: object) -> dict[str, str]:
    with pytest.raises(BriefError) as info:
        parse_brief(data)
    return {p.path: p.message for p in info.value.problems}


def test_example_brief_is_valid_and_complete() -> None:
    brief = load_brief(EXAMPLE)
    assert len(brief.products) >= 2
    assert brief.locale_tags == ["en-US", "es-MX", "ar-AE", "ja-JP"]
    assert brief.brand is not None and brief.brand.logo
    assert any(p.assets for p in brief.products) and any(not p.assets for p in brief.products)


def test_minimal_brief_defaults() -> None:
    brief = parse_brief(minimal())
    assert brief.formats == ["1:1", "9:16", "16:9"]
    assert brief.locale_tags == ["en"]
    assert brief.copy_for("en").message == "Run further"


def test_every_problem_is_listed_at_once_with_its_path() -> None:
    data = minimal(
        campaign_id="Spring Launch!",
        mesage="typo",
        products=[
            {"id": "a", "name": "A", "assets": ["../../etc/passwd"]},
            {"id": "a", "name": "B", "descripton": "x"},
        ],
        formats=["1:1", "7:3"],
        brand={"name": "B", "palette": ["#12", "blue"]},
        locales={"ar-AE": {"message": "مرحبا"}, "english": {"message": "x"}},
        call_to_action="Buy",
        region=None,
    )
    del data["message"]
    found = problems(data)
    assert found["campaign_id"].startswith("'Spring Launch!' is not valid")
    assert found["message"] == "required field is missing"
    assert found["mesage"] == "unknown field (did you mean 'message'?)"
    assert "'..'" in found["products[0].assets[0]"]
    assert found["products[1].descripton"] == "unknown field (did you mean 'description'?)"
    assert "unknown format '7:3'" in found["formats"]
    assert "hex colour" in found["brand.palette[0]"] and "hex colour" in found["brand.palette[1]"]
    assert "BCP 47" in found["locales.english"]
    assert "region" in found  # neither region nor markets
    assert "used by another product" in found["products[1].id"]


def test_absolute_asset_path_rejected() -> None:
    found = problems(minimal(products=[{"id": "a", "name": "A", "assets": ["/etc/passwd"]}]))
    assert "absolute" in found["products[0].assets[0]"]


def test_at_least_one_product() -> None:
    assert "products" in problems(minimal(products=[]))


def test_message_is_required_text_not_blank() -> None:
    assert "message" in problems(minimal(message="   "))


def test_error_block_is_readable(tmp_path: Path) -> None:
    path = tmp_path / "b.yaml"
    path.write_text(yaml.safe_dump(minimal(audience=None, extra=1)))
    with pytest.raises(BriefError) as info:
        load_brief(path)
    text = str(info.value)
    assert text.splitlines()[0] == f"{path}: 2 problems in the brief"
    assert "  - audience:" in text and "  - extra: unknown field" in text
    assert "Traceback" not in text


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    path = tmp_path / "b.yaml"
    path.write_text("campaign_id: x\nproducts: [\n")
    with pytest.raises(BriefError) as info:
        load_brief(path)
    assert "line" in str(info.value) and "not valid YAML" in str(info.value)


def test_json_brief_and_errors(tmp_path: Path) -> None:
    good = tmp_path / "b.json"
    good.write_text(json.dumps(minimal()))
    assert isinstance(load_brief(good), Brief)
    bad = tmp_path / "c.json"
    bad.write_text('{"campaign_id": "x",}')
    with pytest.raises(BriefError, match="line 1"):
        load_brief(bad)


def test_missing_file_and_non_mapping(tmp_path: Path) -> None:
    with pytest.raises(BriefError, match="file not found"):
        load_brief(tmp_path / "nope.yaml")
    path = tmp_path / "list.yaml"
    path.write_text("- a\n- b\n")
    with pytest.raises(BriefError, match="mapping"):
        load_brief(path)


def test_formats_by_name_or_ratio_and_duplicates() -> None:
    assert parse_brief(minimal(formats=["story", "1.91:1", "4x5"])).formats == [
        "story",
        "1.91:1",
        "4x5",
    ]
    assert "same format twice" in problems(minimal(formats=["9:16", "story"]))["formats"]


def test_palette_normalised() -> None:
    brief = parse_brief(minimal(brand={"name": "B", "palette": ["#abc", "#0B3d2E"]}))
    assert brief.brand is not None and brief.brand.palette == ["#AABBCC", "#0B3D2E"]


def test_locale_copy_falls_back_to_base_cta_only_for_same_language() -> None:
    brief = parse_brief(minimal(call_to_action="Shop", locales={"en-GB": {"message": "Run on"}}))
    assert brief.copy_for("en-GB").call_to_action == "Shop"


def test_schema_lists_fields() -> None:
    schema = brief_json_schema()
    assert {"campaign_id", "products", "message", "locales", "brand", "formats"} <= set(
        schema["properties"]
    )
    assert schema["additionalProperties"] is False


def test_brief_error_survives_a_process_boundary() -> None:
    import pickle

    with pytest.raises(BriefError) as info:
        parse_brief(minimal(campaign_id="Bad Id"))
    copy = pickle.loads(pickle.dumps(info.value))
    assert str(copy) == str(info.value) and copy.problems == info.value.problems


def test_invisible_only_copy_is_rejected() -> None:
    found = problems(minimal(locales={"es-MX": {"message": "\u200b\u200d"}}))
    assert "no visible characters" in found["locales.es-MX.message"]


def test_duplicate_keys_are_errors(tmp_path: Path) -> None:
    path = tmp_path / "b.yaml"
    path.write_text(yaml.safe_dump(minimal()) + "message: Second message\n")
    with pytest.raises(BriefError, match=r"duplicate key 'message' \(first given on line \d+\)"):
        load_brief(path)
    js = tmp_path / "b.json"
    js.write_text('{"campaign_id": "a", "campaign_id": "b"}')
    with pytest.raises(BriefError, match="duplicate key 'campaign_id'"):
        load_brief(js)
