"""A campaign's outputs through the API: creatives with findings, downloads, the zip archive —
of a campaign really rendered by the pipeline and published to the file store."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any
from urllib.parse import quote

import pytest
from api_support import Publish, assert_problem, create
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from creative_automation.service.context import Service

Finished = tuple[str, dict[str, Any]]  # campaign id, its manifest


@pytest.fixture
def finished(client: TestClient, writer: dict[str, str], publish: Publish) -> Finished:
    campaign_id = create(client, writer)
    return campaign_id, publish(campaign_id)


def test_creatives_carry_their_compliance_findings_and_a_download_url(
    client: TestClient, writer: dict[str, str], finished: Finished
) -> None:
    campaign_id, manifest = finished
    body = client.get(f"/v1/campaigns/{campaign_id}/creatives", headers=writer).json()
    assert body["campaign_id"] == campaign_id
    assert len(body["items"]) == len(manifest["creatives"]) == 2
    for item, record in zip(body["items"], manifest["creatives"], strict=True):
        assert (item["product_id"], item["locale"]) == (record["product_id"], record["locale"])
        assert (item["width"], item["height"]) == (1080, 1920)
        checks = {f["check"] for f in item["compliance"]}
        assert checks == {f["check"] for f in record["compliance"]} and checks
        response = client.get(item["download_url"], headers=writer)
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/jpeg"
        with Image.open(io.BytesIO(response.content)) as image:
            assert image.format == "JPEG" and image.size == (1080, 1920)


def test_manifest_and_report_download_with_their_types(
    client: TestClient, writer: dict[str, str], finished: Finished
) -> None:
    campaign_id, manifest = finished
    base = f"/v1/campaigns/{campaign_id}/files"
    got = client.get(f"{base}/manifest.json", headers=writer)
    assert got.headers["content-type"] == "application/json"
    assert json.loads(got.content) == manifest
    report = client.get(f"{base}/report.html", headers=writer)
    assert report.headers["content-type"].startswith("text/html")
    assert "sandbox" in report.headers["content-security-policy"]
    assert report.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    "path", ["../manifest.json", "..%2F..%2Fcap.db", "nothing.jpg", "photo-product", "%00"]
)
def test_file_paths_stay_inside_the_campaign_folder(
    client: TestClient,
    writer: dict[str, str],
    finished: Finished,
    path: str,
) -> None:
    campaign_id, _ = finished
    response = client.get(f"/v1/campaigns/{campaign_id}/files/{path}", headers=writer)
    assert response.status_code == 404


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    path=st.lists(
        st.one_of(
            st.sampled_from(["..", ".", "", "manifest.json", "photo-product", "9x16", "%2e%2e"]),
            st.text(min_size=1, max_size=300),
        ),
        min_size=1,
        max_size=5,
    ).map("/".join)
)
def test_any_file_path_is_a_file_of_the_campaign_or_a_404(
    client: TestClient,
    writer: dict[str, str],
    finished: Finished,
    path: str,
) -> None:
    campaign_id, manifest = finished
    # dots escaped too: a client would otherwise resolve '..' itself before sending
    encoded = quote(path, safe="/").replace(".", "%2E")
    response = client.get(f"/v1/campaigns/{campaign_id}/files/{encoded}", headers=writer)
    names = {"manifest.json", "report.html"} | {c["path"] for c in manifest["creatives"]}
    assert response.status_code in ((200,) if path in names else (404, 422)), repr(path)


def test_the_archive_holds_every_output_and_opens(
    client: TestClient,
    service: Service,
    writer: dict[str, str],
    finished: Finished,
) -> None:
    campaign_id, manifest = finished
    response = client.get(f"/v1/campaigns/{campaign_id}/archive", headers=writer)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert f"test-campaign-{campaign_id}.zip" in response.headers["content-disposition"]
    assert int(response.headers["content-length"]) == len(response.content)
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert archive.testzip() is None
        names = set(archive.namelist())
        assert {"manifest.json", "report.html"} | {c["path"] for c in manifest["creatives"]} == (
            names
        )
        assert names == set(service.files.files(campaign_id))
        assert json.loads(archive.read("manifest.json")) == manifest
        for record in manifest["creatives"]:
            with Image.open(io.BytesIO(archive.read(record["path"]))) as image:
                assert image.size == (record["width"], record["height"])


def test_no_archive_before_the_campaign_has_outputs(
    client: TestClient, writer: dict[str, str]
) -> None:
    campaign_id = create(client, writer)
    response = client.get(f"/v1/campaigns/{campaign_id}/archive", headers=writer)
    assert "queued" in assert_problem(response, 409, "not-ready")["detail"]
    assert client.get(f"/v1/campaigns/{campaign_id}/creatives", headers=writer).json() == {
        "campaign_id": campaign_id,
        "items": [],
    }
