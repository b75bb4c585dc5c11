"""The file store on a local folder and on an fsspec URL (memory://, as s3:// would be)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from creative_automation.errors import NotFound
from creative_automation.storage.files import OutputStore


@pytest.fixture(params=["local", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> OutputStore:
    if request.param == "local":
        return OutputStore(str(tmp_path / "outputs"))
    return OutputStore(f"memory://cap-test-{uuid.uuid4().hex}/outputs")


def campaign_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "made"
    (folder / "p" / "1x1").mkdir(parents=True)
    (folder / "p" / "1x1" / "en-US.jpg").write_bytes(b"\xff\xd8\xff jpeg")
    (folder / "report.html").write_text("<html></html>")
    (folder / "manifest.json").write_text('{"schema_version": 1}')
    return folder


def test_publish_then_read_back_every_file(store: OutputStore, tmp_path: Path) -> None:
    assert not store.exists("cmp_1")
    uri = store.publish(campaign_folder(tmp_path), "cmp_1")
    assert store.exists("cmp_1") and uri == store.uri("cmp_1")
    assert store.files("cmp_1") == ["manifest.json", "p/1x1/en-US.jpg", "report.html"]
    assert store.read("cmp_1", "p/1x1/en-US.jpg") == b"\xff\xd8\xff jpeg"
    # published again (a retry): replaced, never mixed
    again = campaign_folder(tmp_path / "second")
    (again / "p" / "1x1" / "en-US.jpg").write_bytes(b"\xff\xd8\xff new")
    store.publish(again, "cmp_1")
    assert store.read("cmp_1", "p/1x1/en-US.jpg") == b"\xff\xd8\xff new"


def test_creatives_put_one_by_one_are_complete_only_with_the_manifest(
    store: OutputStore,
) -> None:
    store.put("cmp_2", "p/9x16/en-US.jpg", b"a")
    assert not store.exists("cmp_2"), "no manifest yet: not a complete campaign"
    store.put("cmp_2", "manifest.json", b"{}")
    assert store.exists("cmp_2") and store.files("cmp_2") == ["manifest.json", "p/9x16/en-US.jpg"]


@pytest.mark.parametrize("path", ["../cmp_other/manifest.json", "/etc/passwd", "a/../../x",
                                  "", "a\\\\b", "./manifest.json"])  # fmt: skip
def test_a_path_out_of_the_campaign_is_not_found(store: OutputStore, path: str) -> None:
    store.put("cmp_3", "manifest.json", b"{}")
    with pytest.raises(NotFound):
        store.read("cmp_3", path)


def test_missing_files_and_campaigns_are_not_found(store: OutputStore) -> None:
    with pytest.raises(NotFound):
        store.files("cmp_none")
    store.put("cmp_4", "manifest.json", b"{}")
    with pytest.raises(NotFound):
        store.read("cmp_4", "report.html")


def test_uploaded_inputs_come_back_into_a_local_folder(store: OutputStore, tmp_path: Path) -> None:
    store.put_input("cmp_5", "logo.png", b"\\x89PNG logo")
    store.put_input("cmp_5", "fonts/Brand.ttf", b"font")
    dest = tmp_path / "assets"
    assert store.fetch_inputs("cmp_5", dest) == ["fonts/Brand.ttf", "logo.png"]
    assert (dest / "logo.png").read_bytes() == b"\\x89PNG logo"
    assert store.fetch_inputs("cmp_none", tmp_path / "none") == []
    with pytest.raises(NotFound):  # inputs are kept apart from the campaign's outputs
        store.files("cmp_5")
    with pytest.raises(NotFound):
        store.put_input("cmp_5", "../escape.png", b"x")


def test_a_storage_url_without_its_driver_is_a_configuration_error() -> None:
    import importlib.util

    from creative_automation.errors import ConfigError

    if importlib.util.find_spec("s3fs") is None:  # the dev install has no cloud drivers
        with pytest.raises(ConfigError, match=r"creative-automation\[s3\]"):
            OutputStore("s3://bucket/outputs")
    with pytest.raises(ConfigError, match="CAP_STORAGE_URL"):
        OutputStore("nosuchprotocol://x")
