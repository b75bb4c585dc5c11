"""`cap ui`: refuses to start without a key, saying how to make one; otherwise it becomes the
Streamlit server of ui/app.py (started for real by test_browser.py)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from creative_automation.cli import app
from creative_automation.cli_ui import APP, streamlit_command

runner = CliRunner()


def test_without_an_api_key_it_says_how_to_make_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CAP_API_KEY", raising=False)
    result = runner.invoke(app, ["ui"])
    assert result.exit_code == 1
    assert "CAP_API_KEY is not set" in result.output
    assert "cap keys create --name ui" in result.output
    assert "Traceback" not in result.output


def test_the_server_is_headless_and_sends_no_usage_statistics() -> None:
    command = streamlit_command("0.0.0.0", 8502)
    assert command[3:5] == ["run", str(APP)] and APP.is_file()
    options = dict(zip(command[5::2], command[6::2], strict=True))
    assert options["--server.address"] == "0.0.0.0"
    assert options["--server.port"] == "8502"
    assert options["--server.headless"] == "true"
    assert options["--browser.gatherUsageStats"] == "false"
