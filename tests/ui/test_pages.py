"""Each page's logic with Streamlit's AppTest, against the real API of conftest.py: what it
lists, the actions it takes (checked back through the API), and its empty and error states."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Button
from ui_support import APP, LiveApi, small_brief

from creative_automation.storage import Scope, Severity
from creative_automation.storage.alerts import AlertDraft
from live import free_port

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TIMEOUT = 60


def page(name: str, **query: str) -> AppTest:
    """The whole app (navigation, sidebar) run on one of its pages."""
    app = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for key, value in query.items():
        app.query_params[key] = value
    app.switch_page(f"views/{name}.py")
    return app.run()


def shown(markdown: object) -> str:
    """Markdown as it reads: the escapes that keep API text literal (badges.plain) undone."""
    return re.sub(r"\\(.)", r"\1", str(markdown))


def texts(app: AppTest) -> str:
    """Everything the page wrote, as one string to search."""
    parts = [e.value for e in (*app.markdown, *app.caption, *app.title, *app.subheader)]
    parts += [e.value for e in (*app.error, *app.warning, *app.info, *app.success)]
    return "\n".join(shown(p) for p in parts)


def no_exception(app: AppTest) -> None:
    assert not app.exception, [e.value for e in app.exception]


# --- Campaigns ------------------------------------------------------------------------------
def test_campaigns_lists_state_progress_cost_and_alerts(ui_env: LiveApi, finished: str) -> None:
    ui_env.service.store.raise_alert(
        AlertDraft(
            rule="needs_review",
            severity=Severity.WARNING,
            summary="1 creative needs review",
            evidence={"needs_review": 1},
            action="open the gallery",
            campaign_id=finished,
        ),
        throttle=timedelta(hours=1),
    )
    app = page("campaigns")
    no_exception(app)
    frame = app.dataframe[0].value
    row = frame[frame["ID"] == finished].iloc[0]
    assert row["Campaign"] == "UI Test Launch"
    assert "succeeded" in row["State"]
    assert row["Creatives"] == "4 / 4"
    assert row["Progress"] == pytest.approx(1.0)
    assert row["Open alerts"] >= 1
    assert row["Cost (USD)"] == pytest.approx(0.0)  # the procedural provider costs nothing


def test_campaigns_without_any_says_how_to_start(
    ui_env: LiveApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = ui_env.service.store.create_key("nobody-yet", Scope.WRITE)[0]
    monkeypatch.setenv("CAP_API_KEY", fresh)
    app = page("campaigns")
    no_exception(app)
    assert "No campaigns yet" in shown(app.info[0].value)
    assert not app.dataframe


def test_campaigns_cancel_and_retry_the_selected_one_as_its_state_allows(ui_env: LiveApi) -> None:
    store = ui_env.service.store
    owner = store.authenticate(ui_env.write_key)
    assert owner is not None
    # queued, but never handed to the queue: it waits until the page acts on it
    waiting, _ = store.create_campaign(
        small_brief(campaign_id="ui-cancel"), api_key_id=owner.id, creatives_expected=4
    )
    app = page("campaigns")

    def select() -> dict[str, Button]:
        ids = list(app.dataframe[0].value["ID"])
        app.session_state["campaign_table"] = {
            "selection": {"rows": [ids.index(waiting.id)], "columns": [], "cells": []}
        }
        app.run()
        no_exception(app)
        return {b.label: b for b in app.button}

    buttons = select()
    assert buttons["Retry"].disabled and not buttons["Cancel"].disabled
    buttons["Cancel"].click().run()
    with ui_env.http() as http:
        assert http.get(f"/v1/campaigns/{waiting.id}").json()["state"] == "cancelled"
    buttons = select()
    assert buttons["Cancel"].disabled and not buttons["Retry"].disabled
    buttons["Retry"].click().run()
    no_exception(app)
    assert ui_env.wait_finished(waiting.id)["state"] == "succeeded"


# --- Submit ---------------------------------------------------------------------------------
def test_submit_checks_the_brief_as_it_is_edited_with_field_paths(ui_env: LiveApi) -> None:
    app = page("submit")
    no_exception(app)
    broken = small_brief(formats=["1:1", "4:7"])
    broken["products"][0].pop("id")
    app.text_area(key="brief_text").input(yaml.safe_dump(broken, allow_unicode=True)).run()
    no_exception(app)
    problems = shown(app.error[0].value)
    assert "`products[0].id`" in problems
    assert "`formats`: unknown format '4:7'" in problems
    assert app.button[-1].label == "Submit campaign" and app.button[-1].disabled


def test_submit_from_the_example_lists_its_files_and_creatives(
    ui_env: LiveApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAP_UI_EXAMPLES", str(EXAMPLES))
    app = page("submit")
    app.button[0].click().run()  # Use the example brief
    no_exception(app)
    assert "2 products × 4 locales × 3 formats = 24 creatives" in shown(app.success[0].value)
    files = texts(app)
    for name in ("aurora-kit.yaml", "aurora-logo.png", "espresso-cup.png"):
        assert f":green-badge[{name}]" in files
    assert not app.button[-1].disabled


def test_submit_sends_the_brief_and_shows_the_new_campaign(ui_env: LiveApi) -> None:
    app = page("submit")
    brief = small_brief(campaign_id="ui-submitted", formats=["1:1"], locales={})
    app.text_area(key="brief_text").input(yaml.safe_dump(brief)).run()
    app.button[-1].click().run()
    no_exception(app)
    created = app.session_state["submitted"]
    assert created.startswith("cmp_")
    assert f"Campaign `{created}` is queued." in texts(app)
    with ui_env.http() as http:
        stored = http.get(f"/v1/campaigns/{created}").json()
    assert stored["brief_campaign_id"] == "ui-submitted"
    ui_env.wait_finished(created)


def test_submit_a_missing_file_is_named_and_blocks_sending(ui_env: LiveApi) -> None:
    app = page("submit")
    brief = small_brief()
    brief["products"][0]["assets"] = ["hero.jpg"]
    app.text_area(key="brief_text").input(yaml.safe_dump(brief)).run()
    no_exception(app)
    assert "hero.jpg" in shown(app.warning[0].value)
    assert ":red-badge[hero.jpg missing]" in texts(app)
    assert app.button[-1].disabled


# --- Campaign -------------------------------------------------------------------------------
def test_campaign_gallery_shows_each_creative_with_its_checks(
    ui_env: LiveApi, finished: str
) -> None:
    app = page("campaign", id=finished)
    no_exception(app)
    assert app.title[0].value == "UI Test Launch"
    assert [s.value for s in app.subheader] == ["Cold Brew"]
    page_text = texts(app)
    assert "showing en-US" in page_text
    assert page_text.count("generated by procedural") == 2  # two formats of en-US side by side
    assert ":green-badge[" in page_text and "pass]" in page_text
    assert page_text.count(":gray-badge[awaiting review]") >= 2
    app.segmented_control(key="locale").set_value("es-MX").run()
    assert "showing es-MX" in texts(app)


def test_campaign_approve_one_and_reject_in_bulk_are_stored(ui_env: LiveApi) -> None:
    campaign_id = ui_env.submit(small_brief(campaign_id="ui-review"))
    ui_env.wait_finished(campaign_id)
    app = page("campaign", id=campaign_id)
    # without a name nothing is stored, and the page says why
    app.button(key="approve:cold-brew|1:1|en-US").click().run()
    assert "Enter your name" in shown(app.error[0].value)
    app.text_input(key="reviewer").input("Ana Ruiz").run()
    app.button(key="approve:cold-brew|1:1|en-US").click().run()
    no_exception(app)
    assert "1 creative approved by Ana Ruiz" in shown(app.success[0].value)
    # the other en-US creative, and both es-MX ones, rejected together with a comment
    app.checkbox(key="select:cold-brew|9:16|en-US").check().run()
    comment = "Logo **too** close to the edge ![x](http://evil.example/x.png)"
    app.text_input(key="bulk_comment").input(comment).run()
    reject = next(b for b in app.button if b.label.startswith("Reject "))
    assert reject.label == "Reject 1"
    reject.click().run()
    no_exception(app)
    with ui_env.http() as http:
        reviews = http.get(f"/v1/campaigns/{campaign_id}/reviews").json()["items"]
    decided = {(r["aspect_ratio"], r["locale"]): r for r in reviews}
    assert decided[("1:1", "en-US")]["decision"] == "approved"
    assert decided[("1:1", "en-US")]["reviewer"] == "Ana Ruiz"
    assert decided[("9:16", "en-US")]["decision"] == "rejected"
    assert decided[("9:16", "en-US")]["comment"] == comment
    assert ("1:1", "es-MX") not in decided
    page_text = texts(app)
    assert ":green-badge[approved] by **Ana Ruiz**" in page_text
    assert ":red-badge[rejected] by **Ana Ruiz**" in page_text
    # the comment reads as typed: no bold, no image the browser would fetch
    source = "\n".join(m.value for m in app.markdown)
    assert r"Logo \*\*too\*\* close to the edge !\[x\](http\://evil.example/x.png)" in source


def test_campaign_not_started_yet_says_so_and_shows_its_progress(ui_env: LiveApi) -> None:
    store = ui_env.service.store
    owner = store.authenticate(ui_env.write_key)
    assert owner is not None
    waiting, _ = store.create_campaign(  # queued, never handed to the queue
        small_brief(campaign_id="ui-waiting"), api_key_id=owner.id, creatives_expected=4
    )
    app = page("campaign", id=waiting.id)
    no_exception(app)
    assert "No creatives yet" in shown(app.info[0].value)
    assert "queued" in shown(app.info[0].value)
    assert "0 / 4 creatives" in texts(app)
    assert app.get("progress")[0].value == 0
    store.request_cancel(waiting.id)  # nothing left waiting for a worker


def test_campaign_that_does_not_exist_is_a_message(ui_env: LiveApi) -> None:
    app = page("campaign", id="cmp_NOSUCHCAMPAIGN")
    no_exception(app)
    assert "cmp_NOSUCHCAMPAIGN" in shown(app.error[0].value)


# --- Providers and Alerts -------------------------------------------------------------------
def test_providers_lists_the_chain_with_calls_and_breakers(ui_env: LiveApi, finished: str) -> None:
    app = page("providers")
    no_exception(app)
    frame = app.dataframe[0].value
    procedural = frame[frame["Provider"] == "procedural"].iloc[0]
    assert procedural["Role"] == "offline (last resort)"
    assert procedural["Calls"] >= 1
    assert procedural["Spend (USD)"] == pytest.approx(0.0)


def test_alerts_acknowledge_and_draft_the_stakeholder_update(
    ui_env: LiveApi, finished: str
) -> None:
    store = ui_env.service.store
    raised = store.raise_alert(
        AlertDraft(
            rule="missing_creatives",
            severity=Severity.CRITICAL,
            summary="2 of 4 creatives missing for Cold Brew",
            evidence={"missing": ["9:16 es-MX", "1:1 es-MX"]},
            action="retry the campaign",
            campaign_id=finished,
        ),
        throttle=timedelta(hours=1),
    )
    app = page("alerts")
    no_exception(app)
    assert "2 of 4 creatives missing for Cold Brew" in texts(app)
    app.button(key=f"ack:{raised.alert.id}").click().run()
    no_exception(app)
    assert "Acknowledged: 2 of 4 creatives missing" in shown(app.success[0].value)
    with ui_env.http() as http:
        alerts = http.get("/v1/alerts", params={"status": "all"}).json()["items"]
    mine = next(a for a in alerts if a["id"] == raised.alert.id)
    assert mine["status"] == "acknowledged"
    assert mine["acknowledged_by"].startswith("key ui-tests")
    # the stakeholder draft for the campaign, with its copy buttons (st.code)
    app.selectbox[-1].select(finished)
    app.text_input[2].input("Mia Chen")  # signed by
    app.text_input[3].input("x" * 301)  # why: longer than the API takes, so not taken
    app.button[-1].click().run()  # the form's submit
    no_exception(app)
    subject, body = (c.value for c in app.code)
    assert "UI Test Launch" in subject + body
    assert "Mia Chen" in body


# --- The API down, no key -------------------------------------------------------------------
@pytest.mark.parametrize("name", ["campaigns", "submit", "campaign", "providers", "alerts"])
def test_every_page_says_the_api_is_down_without_a_traceback(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("CAP_API_URL", "CAP_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    monkeypatch.setenv("CAP_API_URL", url)
    monkeypatch.setenv("CAP_API_KEY", "cap_test_not_a_real_key")
    app = page(name, id="cmp_ANY") if name == "campaign" else page(name)
    no_exception(app)
    if name == "submit":  # nothing is sent until Submit: the page works offline
        assert app.text_area(key="brief_text") is not None
        return
    assert "The API is not answering" in shown(app.error[0].value)
    assert url in shown(app.error[0].value)


def test_without_a_key_the_page_says_how_to_get_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CAP_API_KEY", raising=False)
    app = page("campaigns")
    no_exception(app)
    assert "cap keys create" in shown(app.warning[0].value)


def test_an_unknown_key_is_named_as_the_problem(
    ui_env: LiveApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAP_API_KEY", "cap_revoked_or_never_made_0000000000000000000")
    app = page("campaigns")
    no_exception(app)
    assert "unknown or revoked" in shown(app.error[0].value)
