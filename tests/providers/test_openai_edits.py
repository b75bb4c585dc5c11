"""Packshots staged by OpenAI's edits endpoint, against a fake API on 127.0.0.1 (§1.3)."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fake_openai import EDITS, PAINTED, requests_to, serve_edits, serve_error
from PIL import Image
from pydantic import SecretStr
from pytest_httpserver import HTTPServer

from creative_automation.brief import parse_brief
from creative_automation.errors import ContentRejected, ProviderFailed
from creative_automation.pipeline import run_campaign
from creative_automation.providers.budget import Budget
from creative_automation.providers.openai import OpenAIImageProvider
from creative_automation.providers.prices import edit_input_usd, max_edit_input_usd
from creative_automation.providers.setup import build_chain
from creative_automation.settings import Settings
from factories import brief_data, generation_request

KEY = SecretStr("sk-edits-FAKE0123456789")
BOTTLE = (200, 30, 30)
LABEL = (250, 230, 60)


def bottle() -> Image.Image:
    """A cut-out: a red bottle with a yellow label, on full transparency."""
    cut = Image.new("RGBA", (300, 600), (0, 0, 0, 0))
    cut.paste((*BOTTLE, 255), (90, 40, 210, 580))
    cut.paste((*LABEL, 255), (90, 260, 210, 380))
    return cut


def provider(server: HTTPServer, **kw: Any) -> OpenAIImageProvider:
    return OpenAIImageProvider(KEY, base_url=server.url_for("/v1"), **kw)


def staged(server: HTTPServer, width: int = 1080, height: int = 1080, **kw: Any) -> Any:
    req = generation_request(width=width, height=height, packshot=bottle(), seed=3)
    return asyncio.run(provider(server, **kw).generate(req))


@pytest.mark.parametrize(
    ("width", "height", "size"), [(1080, 1080, "1024x1024"), (1080, 1920, "1024x1536")]
)
def test_a_packshot_goes_to_the_edits_endpoint_with_its_mask(
    httpserver_ipv4: HTTPServer, width: int, height: int, size: str
) -> None:
    calls = serve_edits(httpserver_ipv4)
    result = staged(httpserver_ipv4, width, height)
    (sent,) = requests_to(httpserver_ipv4, EDITS)
    assert sent.headers["Authorization"] == f"Bearer {KEY.get_secret_value()}"
    form = calls[0].form
    assert (form["model"], form["size"], form["quality"], form["n"]) == (
        "gpt-image-1", size, "medium", "1"
    )  # fmt: skip
    assert form["input_fidelity"] == "high"
    assert (form["output_format"], form["output_compression"]) == ("jpeg", "95")
    assert calls[0].mask is not None
    frame = Image.open(io.BytesIO(calls[0].image))
    mask = Image.open(io.BytesIO(calls[0].mask))
    assert frame.format == mask.format == "PNG" and frame.mode == "RGBA"
    assert frame.size == mask.size == tuple(int(s) for s in size.split("x"))
    alpha = np.asarray(frame.getchannel("A"))
    # the product is opaque and centred; everything else is alpha 0, the area to paint
    ys, xs = np.nonzero(alpha == 255)
    assert abs((xs.min() + xs.max()) / 2 - frame.width / 2) <= 2
    assert 0.5 * frame.height < ys.max() <= 0.87 * frame.height
    assert np.array_equal(np.asarray(mask), np.asarray(frame))  # the frame is its own mask
    assert 0.05 < (alpha > 0).mean() < 0.3
    # the product came back exactly, inside the subject box, and the scene around it is painted
    pixels = np.asarray(result.image)
    box = result.subject_box
    assert box is not None and (box.x0, box.y0) == (xs.min(), ys.min())
    inside = pixels[box.y0 + 5 : box.y1 - 5, box.x0 + 5 : box.x1 - 5].reshape(-1, 3)
    is_product = np.all(np.abs(inside.astype(int) - BOTTLE) <= 2, axis=1) | np.all(
        np.abs(inside.astype(int) - LABEL) <= 2, axis=1
    )
    assert is_product.mean() > 0.99
    for corner in (pixels[10, 10], pixels[-10, -10]):  # painted (a JPEG: to within its error)
        assert np.abs(corner.astype(int) - PAINTED).max() <= 3
    assert result.provider == "openai" and result.image.size == frame.size


def test_an_edit_is_costed_from_its_usage(httpserver_ipv4: HTTPServer) -> None:
    serve_edits(httpserver_ipv4)
    result = staged(httpserver_ipv4)
    # 1024² medium output $0.042; input: 80 text tokens at $5/M, 4160 image tokens at $10/M
    assert result.cost_usd == pytest.approx(0.042 + 80 * 5e-6 + 4160 * 10e-6)
    est = provider(httpserver_ipv4).estimate_usd(packshot=True)
    assert result.cost_usd < est, "the budget's reservation covers the real cost"
    # without token details the whole input is costed at the image rate; without usage at all
    # the reserved maximum is booked, never nothing
    assert edit_input_usd("gpt-image-1", type("U", (), {"input_tokens": 1000})()) == 0.01
    assert edit_input_usd("gpt-image-1", None) == max_edit_input_usd("gpt-image-1") > 0


def test_mini_is_sent_without_input_fidelity(httpserver_ipv4: HTTPServer) -> None:
    calls = serve_edits(httpserver_ipv4)
    staged(httpserver_ipv4, model="gpt-image-1-mini")
    assert "input_fidelity" not in calls[0].form  # §1.3: the mini model rejects it


def test_dall_e_3_cannot_stage_a_packshot(httpserver_ipv4: HTTPServer) -> None:
    with pytest.raises(ProviderFailed, match="gpt-image"):
        staged(httpserver_ipv4, model="dall-e-3")
    assert not httpserver_ipv4.log


def test_an_edit_refused_by_moderation_is_content_rejected(httpserver_ipv4: HTTPServer) -> None:
    serve_error(httpserver_ipv4, 400, code="moderation_blocked", path=EDITS,
                type_="image_generation_user_error")  # fmt: skip
    with pytest.raises(ContentRejected):
        staged(httpserver_ipv4)


def settings(tmp_path: Path, **kw: Any) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", output_format="png", workers=1, alt_text="brief",
        quality_threshold=None, **kw,
    )  # fmt: skip


def test_the_chain_sends_packshots_only_to_providers_that_can_stage_them(tmp_path: Path) -> None:
    both = build_chain(settings(tmp_path, OPENAI_API_KEY="sk-a", STABILITY_API_KEY="sk-b"),
                       Budget())  # fmt: skip
    packshot = generation_request(packshot=bottle())
    assert [m.name for m in both.order(packshot)] == ["openai", "procedural"]
    assert {m.name for m in both.order(generation_request())} == {
        "openai", "stability", "procedural"
    }  # fmt: skip
    dalle = build_chain(settings(tmp_path, OPENAI_API_KEY="sk-a", openai_image_model="dall-e-3"),
                        Budget())  # fmt: skip
    assert [m.name for m in dalle.order(packshot)] == ["procedural"]


def test_campaign_stages_a_packshot_through_openai_then_caches_it(
    httpserver_ipv4: HTTPServer, tmp_path: Path, assets: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", httpserver_ipv4.url_for("/v1"))
    calls = serve_edits(httpserver_ipv4)
    bottle().save(assets / "bottle.png")
    data = brief_data(
        formats=["1:1"],
        locales={"en-US": {"message": "Fresh every morning", "call_to_action": "Order"}},
        products=[{"id": "tonic", "name": "Citrus Tonic", "assets": ["bottle.png"]}],
    )
    s = settings(tmp_path, OPENAI_API_KEY="sk-e2e")
    first = run_campaign(parse_brief(data), assets_dir=assets, out_dir=tmp_path / "o", settings=s)
    rec = first.manifest.creatives[0]
    assert (rec.source, rec.provider, rec.asset) == ("generated", "openai", "bottle.png")
    assert not [f for f in rec.fallbacks if f.startswith("fallback")]
    prompt = calls[0].form["prompt"]
    assert "Citrus Tonic" in prompt and "stays exactly as it is" in prompt
    img = np.asarray(Image.open(first.folder / str(rec.path)).convert("RGB")).astype(int)
    red = np.all(np.abs(img - BOTTLE) <= 12, axis=-1)
    assert red.sum() > 5000, "the real product is in the creative"
    again = run_campaign(parse_brief(data), assets_dir=assets, out_dir=tmp_path / "o", settings=s)
    assert len(requests_to(httpserver_ipv4, EDITS)) == 1 and again.manifest.creatives[0].cached
    # another packshot under the same prompt is a different image: not served from the cache
    other = bottle().transpose(Image.Transpose.FLIP_TOP_BOTTOM)
    other.save(assets / "bottle.png")
    run_campaign(parse_brief(data), assets_dir=assets, out_dir=tmp_path / "o", settings=s)
    assert len(requests_to(httpserver_ipv4, EDITS)) == 2
