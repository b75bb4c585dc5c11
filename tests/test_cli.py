"""The `cap` command as a user runs it: exit codes, readable errors, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml
from typer.testing import CliRunner

from creative_automation.cli import app
from factories import brief_data

runner = CliRunner()
ROOT = Path(__file__).parents[1]


def write(tmp_path: Path, data: object, name: str = "brief.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


def test_validate_lists_every_problem_and_exits_non_zero(tmp_path: Path) -> None:
    bad = brief_data(campaign_id="Bad Id", formats=["7:3"], audiance="x")
    del bad["message"]
    result = runner.invoke(app, ["validate", str(write(tmp_path, bad))])
    assert result.exit_code == 1
    text = result.output
    for path in (
        "campaign_id:",
        "formats:",
        "message: required field is missing",
        "audiance: unknown field",
    ):
        assert path in text
    assert ("Traceback" not in text and result.exception is None) or isinstance(
        result.exception, SystemExit
    )


def test_validate_example_ok() -> None:
    result = runner.invoke(
        app,
        [
            "validate",
            str(ROOT / "examples/aurora-summer.yaml"),
            "--assets",
            str(ROOT / "examples/assets"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "valid" in result.output and "2 products × 3 formats × 4 locales" in result.output


def test_validate_reports_uncovered_script(tmp_path: Path) -> None:
    data = brief_data(locales={"am-ET": {"message": "ሰላም", "call_to_action": "ግዛ"}})
    result = runner.invoke(app, ["validate", str(write(tmp_path, data))])
    assert result.exit_code == 1 and "am-ET" in result.output


def test_schema_is_json_schema() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert schema["title"] == "Brief" and "products" in schema["required"]


def test_run_renders_and_summarises(tmp_path: Path, assets: Path) -> None:
    data = brief_data(
        formats=["1:1", "16:9"],
        locales={"en-US": {"message": "Hello there", "call_to_action": "Go"}},
    )
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            "run",
            str(write(tmp_path, data)),
            "--assets",
            str(assets),
            "--out",
            str(out),
            "--format",
            "png",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "4 ok" in result.output and str(out / "test-campaign") in result.output.replace("\n", "")
    manifest = json.loads((out / "test-campaign" / "manifest.json").read_text())
    assert manifest["totals"]["creatives"] == 4
    assert all((out / "test-campaign" / c["path"]).is_file() for c in manifest["creatives"])


def test_run_bad_asset_is_one_block_error(tmp_path: Path, assets: Path) -> None:
    (assets / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    data = brief_data(products=[{"id": "p", "name": "P", "assets": ["broken.jpg"]}])
    result = runner.invoke(
        app,
        ["run", str(write(tmp_path, data)), "--assets", str(assets), "--out", str(tmp_path / "o")],
    )
    assert result.exit_code == 1
    assert "broken.jpg" in result.output and "Traceback" not in result.output


def test_bad_setting_is_reported(tmp_path: Path, assets: Path) -> None:
    data = brief_data()
    result = runner.invoke(
        app,
        ["run", str(write(tmp_path, data)), "--assets", str(assets)],
        env={"CAP_OUTPUT_FORMAT": "gif"},
    )
    assert result.exit_code == 1 and "CAP_OUTPUT_FORMAT" in result.output


def test_console_script_entry_point(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "creative_automation", "validate", str(tmp_path / "missing.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "file not found" in proc.stderr and "Traceback" not in proc.stderr


def test_validate_checks_brand_assets_in_the_folder(tmp_path: Path, assets: Path) -> None:
    data = brief_data()
    data["brand"]["logo"] = "missing-logo.png"
    result = runner.invoke(app, ["validate", str(write(tmp_path, data)), "--assets", str(assets)])
    assert result.exit_code == 1 and "missing-logo.png" in result.output


def test_run_without_asset_folder_names_what_needs_it(tmp_path: Path) -> None:
    data = brief_data(products=[{"id": "p", "name": "P"}])
    result = runner.invoke(app, ["run", str(write(tmp_path, data)), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1 and "logo.png" in result.output and "asset folder" in result.output
    assert not (tmp_path / "o" / "test-campaign").exists()


def test_seed_flag_overrides_the_brief(tmp_path: Path, assets: Path) -> None:
    data = brief_data(
        formats=["1:1"],
        locales={"en-US": {"message": "Hello", "call_to_action": "Go"}},
        products=[{"id": "p", "name": "Tonic", "description": "a can"}],
    )
    path = write(tmp_path, data)
    images = []
    for seed in ("3", "4"):
        out = tmp_path / seed
        args = ["run", str(path), "--assets", str(assets), "--out", str(out), "--format", "png"]
        result = runner.invoke(app, [*args, "--seed", seed])
        assert result.exit_code == 0, result.output
        manifest = json.loads((out / "test-campaign" / "manifest.json").read_text())
        assert manifest["creatives"][0]["seed"] == int(seed)
        images.append((out / "test-campaign" / "p/1x1/en-US.png").read_bytes())
    assert images[0] != images[1]


def test_output_folder_that_is_a_file_is_one_block_error(tmp_path: Path, assets: Path) -> None:
    blocker = tmp_path / "out"
    blocker.write_text("I am a file")
    result = runner.invoke(
        app,
        ["run", str(write(tmp_path, brief_data())), "--assets", str(assets), "--out", str(blocker)],
    )
    assert result.exit_code == 1
    assert "cannot write to the output folder" in result.output and "Traceback" not in result.output
    assert blocker.read_text() == "I am a file"


def test_mistyped_asset_folder_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, brief_data())
    for command in (["run", str(path), "--out", str(tmp_path / "o")], ["validate", str(path)]):
        result = runner.invoke(app, [*command, "--assets", str(tmp_path / "asets")])
        assert (
            result.exit_code == 1 and "asets" in result.output and "not a folder" in result.output
        )
    assert not (tmp_path / "o").exists()


def test_providers_table_and_configuration_errors(tmp_path: Path) -> None:
    env = {"CAP_DATA_DIR": str(tmp_path), "COLUMNS": "150"}
    result = runner.invoke(app, ["providers"], env=env)
    assert result.exit_code == 0, result.output
    assert "set OPENAI_API_KEY" in result.output and "procedural-studio-v1" in result.output
    result = runner.invoke(app, ["providers"], env={**env, "STABILITY_API_KEY": "sk-secret-9"})
    assert result.exit_code == 0 and "core" in result.output and "closed" in result.output
    assert "sk-secret-9" not in result.output
    result = runner.invoke(app, ["providers"], env={**env, "CAP_IMAGE_PROVIDERS": "openai,nope"})
    assert result.exit_code == 1 and "nope" in result.output and "known:" in result.output
    result = runner.invoke(app, ["providers"], env={**env, "CAP_IMAGE_PROVIDERS": "firefly"})
    assert result.exit_code == 1 and "FIREFLY_CLIENT_ID" in result.output


def test_validate_names_copy_left_to_translate(tmp_path: Path) -> None:
    data = brief_data(locales={"es-MX": {}, "en-US": {}})
    path = write(tmp_path, data)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1
    assert "locales.es-MX.message: missing, and no text provider" in result.output
    assert "en-US" not in result.output  # same language as the brief: its copy is the base copy
    result = runner.invoke(app, ["validate", str(path)], env={"OPENAI_API_KEY": "sk-x"})
    assert result.exit_code == 0 and "2 locale text(s) will be machine-translated" in result.output


def test_strict_exits_3_when_a_creative_needs_review(tmp_path: Path, assets: Path) -> None:
    data = brief_data(
        formats=["1:1"],
        locales={"en-US": {"message": "Fresh roast, delivered", "call_to_action": "Order now"}},
        products=[{"id": "p", "name": "P", "assets": ["hero.jpg"]}],
    )
    data["brand"]["prohibited_words"] = ["roast"]  # in the copy: a failed finding, for review
    brief = str(write(tmp_path, data))
    for strict, code in ((False, 0), (True, 3)):
        out = tmp_path / f"out-{strict}"
        args = ["run", brief, "--assets", str(assets), "--out", str(out)]
        result = runner.invoke(app, [*args, "--strict"] if strict else args)
        assert result.exit_code == code, result.output
        assert "1 need review" in result.output
        assert ("--strict: 1 of 1 creatives need review" in result.output) is strict
        folder = out / "test-campaign"  # everything written all the same
        manifest = json.loads((folder / "manifest.json").read_text())
        assert [c["status"] for c in manifest["creatives"]] == ["needs_review"]
        assert (folder / "report.html").is_file()
        assert all((folder / c["path"]).is_file() for c in manifest["creatives"])


def test_strict_passes_a_campaign_with_nothing_to_review(tmp_path: Path, assets: Path) -> None:
    data = brief_data(
        formats=["1:1"],
        locales={"en-US": {"message": "Hello there", "call_to_action": "Go"}},
        products=[{"id": "p", "name": "P", "assets": ["hero.jpg"]}],
    )
    args = ["run", str(write(tmp_path, data)), "--assets", str(assets), "--out", str(tmp_path)]
    result = runner.invoke(app, [*args, "--strict"])
    assert result.exit_code == 0, result.output
    assert "1 ok" in result.output and "--strict" not in result.output
