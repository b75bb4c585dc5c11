"""End to end in a real browser: `cap serve` (embedded workers) and `cap ui` as processes,
headless Debian Chromium driven by Playwright. Upload the example brief and the files it names,
submit it, wait for its gallery,
approve one creative, and read the approval back through the API. Every page is saved as a
screenshot (into CAP_TEST_SCREENSHOTS too when it is set: that is how docs/ is refreshed)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from live import CAP, cap_process, free_port, wait_until

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# a closed network: no background connections, no component updates, a fresh profile
FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]  # fmt: skip
GALLERY_S = 300  # the example is 24 creatives made on this machine's cores


def browser_or_skip() -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("no Chromium: install Debian's chromium package (.ci/run does)")
    pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency")


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


@contextmanager
def stack(tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    """`cap serve` and `cap ui` on free ports over a fresh data dir: (API, UI, API key)."""
    log = tmp_path / "stack.log"
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("CAP_", "OPENAI_", "STABILITY_", "FIREFLY_"))
    }
    env |= {
        "CAP_DATA_DIR": str(tmp_path / "data"),
        "CAP_ALT_TEXT": "brief",
        "CAP_IMAGE_PROVIDERS": "procedural",
        "CAP_UI_EXAMPLES": str(EXAMPLES),
        "CAP_UI_REFRESH_S": "2",
    }
    key = subprocess.run(
        [CAP, "keys", "create", "--name", "browser"], env=env, capture_output=True, text=True,
        check=True, timeout=60,
    ).stdout.strip()  # fmt: skip
    api_port, ui_port = free_port(), free_port()
    api, ui = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{ui_port}"
    env |= {"CAP_API_URL": api, "CAP_API_KEY": key}
    serve = ["serve", "--port", str(api_port), "--embedded-workers", "1"]
    with (
        cap_process(serve, env, log, clean_env=True) as server,
        cap_process(["ui", "--port", str(ui_port)], env, log, clean_env=True) as streamlit,
    ):
        wait_until(lambda: answers(f"{api}/readyz"), 60, "the API", log, (server,))
        wait_until(lambda: answers(f"{ui}/_stcore/health"), 60, "the UI", log, (streamlit,))
        yield api, ui, key


def test_submit_the_example_watch_the_gallery_and_approve_in_chromium(tmp_path: Path) -> None:
    browser_or_skip()
    from playwright.sync_api import expect, sync_playwright

    shots = tmp_path / "screenshots"
    shots.mkdir()
    with stack(tmp_path) as (api, ui, key), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1100})
        page.set_default_timeout(30_000)

        def shot(name: str) -> None:
            page.wait_for_timeout(800)  # let the last rerun settle before the picture
            # Streamlit scrolls inside its own container: back to the top of the page
            page.evaluate("document.querySelectorAll('*').forEach(e => { e.scrollTop = 0 })")
            page.wait_for_timeout(200)
            page.screenshot(path=str(shots / f"{name}.png"))

        # the example brief uploaded as a user would: first alone (its kit is missing, and the
        # page says so with the field path), then with the files it names
        page.goto(f"{ui}/submit")
        uploads = page.locator("input[type=file]")
        uploads.nth(0).set_input_files(EXAMPLES / "aurora-summer.yaml")
        expect(page.get_by_text("1 problem in the brief")).to_be_visible()
        expect(page.get_by_text("names the brand kit file 'aurora-kit.yaml'")).to_be_visible()
        assets = EXAMPLES / "assets"
        uploads.nth(1).set_input_files(
            [EXAMPLES / "aurora-kit.yaml", assets / "aurora-logo.png", assets / "espresso-cup.png"]
        )
        expect(page.get_by_text("= 24 creatives")).to_be_visible()
        shot("submit")
        page.get_by_role("button", name="Submit campaign").click()
        page.get_by_role("link", name="Watch it run").click()

        # the gallery fills in while it runs; approve once the campaign has finished
        expect(page.get_by_text("succeeded", exact=False).first).to_be_visible(
            timeout=GALLERY_S * 1000
        )
        expect(page.get_by_role("heading", name="Signature Espresso")).to_be_visible()
        expect(page.get_by_role("heading", name="Sparkling Cold Brew")).to_be_visible()
        images = page.locator("[data-testid='stImage'] img")
        expect(images).to_have_count(6)  # 2 products × 3 formats of the first locale
        page.get_by_label("Reviewer").fill("Dana Okafor")
        page.get_by_label("Reviewer").press("Enter")
        page.get_by_role("button", name="Approve", exact=True).first.click()
        expect(page.get_by_text("1 creative approved by Dana Okafor")).to_be_visible()
        shot("campaign")
        # a creative's checks: each measured value against its threshold, and the corrections
        page.get_by_role("button", name="Checks and corrections").first.click()
        expect(page.get_by_text("Corrections made").first).to_be_visible()
        expect(
            page.locator("[data-testid='stPopoverBody'] [data-testid='stDataFrame']")
        ).to_be_visible()
        page.wait_for_timeout(800)
        page.screenshot(path=str(shots / "checks.png"))
        page.keyboard.press("Escape")

        campaign_id = page.url.split("id=")[1].split("&")[0]
        with httpx.Client(base_url=api, headers={"Authorization": f"Bearer {key}"}) as http:
            reviews = http.get(f"/v1/campaigns/{campaign_id}/reviews").json()["items"]
            assert [(r["decision"], r["reviewer"]) for r in reviews] == [
                ("approved", "Dana Okafor")
            ]
            manifest = http.get(f"/v1/campaigns/{campaign_id}/files/manifest.json").json()
        approved = [c for c in manifest["creatives"] if (c.get("review") or {}).get("decision")]
        assert len(approved) == 1 and approved[0]["review"]["reviewer"] == "Dana Okafor"

        for name, path in (("campaigns", ""), ("providers", "providers"), ("alerts", "alerts")):
            page.goto(f"{ui}/{path}")  # Campaigns is the default page, at the root
            expect(page.get_by_role("heading", name=name.title())).to_be_visible()
            shot(name)
        browser.close()
    if target := os.environ.get("CAP_TEST_SCREENSHOTS"):
        Path(target).mkdir(parents=True, exist_ok=True)
        for picture in shots.iterdir():
            shutil.copy(picture, Path(target) / picture.name)
