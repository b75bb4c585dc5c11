"""The agent's inbox: a dropped brief starts one campaign; an invalid one is set aside."""

from __future__ import annotations

import io
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import fsspec
import pytest
import yaml
from PIL import Image

from creative_automation.agent.inbox import Inbox, InboxResult
from creative_automation.errors import StorageUnavailable
from creative_automation.service.context import Service, build_service
from creative_automation.settings import Settings
from factories import brief_data, logo, photo


class Clock:
    """The inbox's monotonic clock, moved by hand: settling is tested without sleeping."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    built = build_service(Settings(data_dir=tmp_path / "data", queue="sqlite"))
    built.store.upgrade()
    yield built
    built.close()


@pytest.fixture
def inbox_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


def brief(**changes: Any) -> dict[str, Any]:
    """2 products × 1 format × 1 locale; the brand's logo.png and a product's hero.jpg."""
    data: dict[str, Any] = brief_data(
        formats=["9:16"],
        locales={"en-US": {"message": "Fresh roast, every morning", "call_to_action": "Order"}},
    )
    data.update(changes)
    return data


def image_bytes(image: Image.Image, kind: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, kind)
    return buffer.getvalue()


HERO, LOGO = image_bytes(photo(), "JPEG"), image_bytes(logo(), "PNG")


def drop(inbox: Path, name: str, data: dict[str, Any], *, assets: bool = True) -> Path:
    """The assets first, then the brief: the order a person copying a folder would use."""
    if assets:
        folder = inbox / Path(name).stem
        folder.mkdir(exist_ok=True)
        (folder / "hero.jpg").write_bytes(HERO)
        (folder / "logo.png").write_bytes(LOGO)
    path = inbox / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def settled_scan(inbox: Inbox, clock: Clock) -> list[InboxResult]:
    """A scan once whatever changed has been still for the settle time."""
    inbox.scan()
    clock.now += inbox.settle_s
    return inbox.scan()


def campaign_count(service: Service) -> int:
    return len(service.store.list_campaigns(limit=100).items)


def wait_for(check: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the inbox did not get there in time"
        time.sleep(0.01)


def test_a_dropped_brief_starts_exactly_one_campaign(
    service: Service, inbox_dir: Path, tmp_path: Path
) -> None:
    clock = Clock()
    inbox = Inbox(service, str(inbox_dir), clock=clock)
    path = drop(inbox_dir, "launch.yaml", brief())

    [result] = settled_scan(inbox, clock)
    assert (result.status, result.path, result.detail) == ("submitted", str(path), None)
    campaign = service.store.get_campaign(result.campaign_id or "")
    assert campaign.creatives_expected == 2  # 2 products × 1 format × 1 locale
    assert campaign.brief["campaign_id"] == "test-campaign"
    got = tmp_path / "got"
    assert service.files.fetch_inputs(campaign.id, got) == ["hero.jpg", "logo.png"]
    assert (got / "hero.jpg").read_bytes() == HERO
    assert path.exists() and (inbox_dir / "launch").is_dir()  # a valid brief stays

    clock.now += 10
    assert inbox.scan() == []  # unchanged: nothing to do
    path.write_bytes(path.read_bytes())  # re-saved, byte for byte
    clock.now += 10
    [again] = settled_scan(inbox, clock)
    assert (again.status, again.campaign_id) == ("replayed", campaign.id)

    restarted = Inbox(service, str(inbox_dir), clock=clock)
    [after_restart] = settled_scan(restarted, clock)
    assert (after_restart.status, after_restart.campaign_id) == ("replayed", campaign.id)
    assert campaign_count(service) == 1


def test_an_edited_brief_or_asset_starts_a_new_campaign(service: Service, inbox_dir: Path) -> None:
    clock = Clock()
    inbox = Inbox(service, str(inbox_dir), clock=clock)
    drop(inbox_dir, "launch.yaml", brief())
    [first] = settled_scan(inbox, clock)

    drop(inbox_dir, "launch.yaml", brief(seed=2), assets=False)
    [edited] = settled_scan(inbox, clock)
    (inbox_dir / "launch" / "hero.jpg").write_bytes(image_bytes(photo(seed=9), "JPEG"))
    [new_hero] = settled_scan(inbox, clock)

    assert [r.status for r in (first, edited, new_hero)] == ["submitted"] * 3
    assert len({first.campaign_id, edited.campaign_id, new_hero.campaign_id}) == 3
    assert campaign_count(service) == 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (lambda: yaml.safe_dump({k: v for k, v in brief().items() if k != "audience"}),
         "audience: required field is missing"),
        (lambda: "campaign_id: launch\nproducts: [unclosed\n", "not valid YAML"),
        (lambda: yaml.safe_dump(brief(products=[{"id": "beans", "nmae": "Beans"}])),
         "products[0].nmae: unknown field (did you mean 'name'?)"),
    ],
    ids=["missing-field", "bad-yaml", "misspelt-product-field"],
)  # fmt: skip
def test_an_invalid_brief_is_set_aside_with_its_errors(
    service: Service, inbox_dir: Path, text: Callable[[], str], expected: str
) -> None:
    clock = Clock()
    inbox = Inbox(service, str(inbox_dir), clock=clock)
    drop(inbox_dir, "launch.yaml", brief())
    (inbox_dir / "launch.yaml").write_text(text(), encoding="utf-8")

    [result] = settled_scan(inbox, clock)

    assert result.status == "rejected" and expected in (result.detail or "")
    rejected = inbox_dir / "rejected"
    errors = (rejected / "launch.yaml.errors.txt").read_text(encoding="utf-8")
    assert re.match(r"launch\.yaml: \d+ problems? in the brief\n", errors)  # the CLI's block
    assert expected in errors and "Set aside by the inbox at" in errors
    assert (rejected / "launch.yaml").read_text(encoding="utf-8") == text()
    assert (rejected / "launch" / "hero.jpg").read_bytes() == HERO  # its folder went with it
    assert not (inbox_dir / "launch.yaml").exists() and not (inbox_dir / "launch").exists()
    assert campaign_count(service) == 0
    assert inbox.scan() == []


def test_a_brand_file_missing_from_the_folder_is_named_and_never_overwritten(
    service: Service, inbox_dir: Path
) -> None:
    clock = Clock()
    inbox = Inbox(service, str(inbox_dir), clock=clock)
    for _ in range(2):  # the same mistake twice: the first set-aside copy is kept
        drop(inbox_dir, "launch.yaml", brief())
        (inbox_dir / "launch" / "logo.png").unlink()
        [result] = settled_scan(inbox, clock)
        assert result.status == "rejected"

    rejected = inbox_dir / "rejected"
    assert sorted(p.name for p in rejected.iterdir()) == [
        "launch", "launch-2", "launch-2.yaml", "launch-2.yaml.errors.txt",
        "launch.yaml", "launch.yaml.errors.txt",
    ]  # fmt: skip
    errors = (rejected / "launch-2.yaml.errors.txt").read_text(encoding="utf-8")
    assert "brand.logo: names the file 'logo.png', which is neither in the folder launch/" in errors
    assert campaign_count(service) == 0


def test_a_half_written_brief_waits_until_it_settles(service: Service, inbox_dir: Path) -> None:
    clock = Clock()
    inbox = Inbox(service, str(inbox_dir), settle_s=1.0, clock=clock)
    drop(inbox_dir, "launch.yaml", brief())
    full = (inbox_dir / "launch.yaml").read_bytes()
    (inbox_dir / "launch.yaml").write_bytes(full[: len(full) // 2])  # truncated mid-file

    assert [r.status for r in inbox.scan()] == ["waiting"]
    clock.now += 0.5
    assert [r.status for r in inbox.scan()] == ["waiting"]
    (inbox_dir / "launch.yaml").write_bytes(full)  # the writer finishes
    clock.now += 0.6  # settled for the half file; the whole one is new
    assert [r.status for r in inbox.scan()] == ["waiting"]
    (inbox_dir / "launch" / "extra.png").write_bytes(LOGO[:100])  # its folder still filling
    clock.now += 1.0
    assert [r.status for r in inbox.scan()] == ["waiting"]
    clock.now += 1.0
    assert [r.status for r in inbox.scan()] == ["submitted"]
    assert not (inbox_dir / "rejected").exists()
    assert campaign_count(service) == 1


def test_a_shared_brand_kit_beside_the_briefs_is_theirs(service: Service, inbox_dir: Path) -> None:
    clock = Clock()
    inbox = Inbox(service, str(inbox_dir), clock=clock)
    kit = {"name": "Shared Brand", "logo": "logo.png", "palette": ["#14503C", "#F2C14E"]}
    (inbox_dir / "kit.yaml").write_text(yaml.safe_dump(kit), encoding="utf-8")
    drop(inbox_dir, "launch.yaml", brief(brand="kit.yaml"))

    [result] = settled_scan(inbox, clock)
    assert result.status == "submitted"
    campaign = service.store.get_campaign(result.campaign_id or "")
    assert campaign.brief["brand"]["name"] == "Shared Brand"
    assert (inbox_dir / "kit.yaml").exists()  # not taken for a brief of its own

    kit["name"] = "Renamed Brand"
    (inbox_dir / "kit.yaml").write_text(yaml.safe_dump(kit), encoding="utf-8")
    [changed] = settled_scan(inbox, clock)
    assert changed.status == "submitted" and changed.campaign_id != campaign.id


def test_an_error_of_the_agent_is_retried_not_rejected(
    service: Service, inbox_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock()
    inbox = Inbox(service, str(inbox_dir), clock=clock)
    drop(inbox_dir, "launch.yaml", brief())

    def store_down(*args: Any, **kwargs: Any) -> Any:
        raise StorageUnavailable("database is locked")

    with monkeypatch.context() as patch:
        patch.setattr(service.store, "create_campaign", store_down)
        [result] = settled_scan(inbox, clock)
    assert result.status == "waiting" and "database is locked" in (result.detail or "")
    assert (inbox_dir / "launch.yaml").exists() and not (inbox_dir / "rejected").exists()

    [retried] = inbox.scan()
    assert retried.status == "submitted" and campaign_count(service) == 1


def test_watch_picks_up_a_file_dropped_in_a_local_folder(service: Service, inbox_dir: Path) -> None:
    scanning = threading.Event()

    def clock() -> float:  # the first scan runs once the folder is being watched
        scanning.set()
        return time.monotonic()

    inbox = Inbox(service, str(inbox_dir), settle_s=0.05, clock=clock)
    results: list[InboxResult] = []
    stop = threading.Event()
    # a safety scan a minute away: only watchdog's event can find the file in time
    watcher = threading.Thread(target=inbox.watch, args=(stop, 60.0, results.append))
    watcher.start()
    try:
        assert scanning.wait(10)
        drop(inbox_dir, "launch.yaml", brief())
        wait_for(lambda: any(r.status == "submitted" for r in results))
    finally:
        stop.set()
        watcher.join(10)
    assert not watcher.is_alive()
    assert [r.status for r in results if r.status != "waiting"] == ["submitted"]
    assert campaign_count(service) == 1


def test_a_memory_inbox_is_polled_and_works_the_same(service: Service) -> None:
    fs = fsspec.filesystem("memory")
    root = f"/inbox-{uuid.uuid4().hex[:8]}"
    fs.pipe_file(f"{root}/launch/hero.jpg", HERO)
    fs.pipe_file(f"{root}/launch/logo.png", LOGO)
    fs.pipe_file(f"{root}/launch.yaml", yaml.safe_dump(brief()).encode())
    fs.pipe_file(f"{root}/broken.json", b'{"campaign_id": "broken", }')
    inbox = Inbox(service, f"memory://{root}", settle_s=0.05)
    results: list[InboxResult] = []
    stop = threading.Event()
    watcher = threading.Thread(target=inbox.watch, args=(stop, 0.02, results.append))
    watcher.start()
    try:
        wait_for(lambda: {r.status for r in results} >= {"submitted", "rejected"})
    finally:
        stop.set()
        watcher.join(10)
        found = fs.find(root)
        fs.rm(root, recursive=True)
    assert not watcher.is_alive()
    done = {r.path.rsplit("/", 1)[-1]: r for r in results if r.status != "waiting"}
    assert done["launch.yaml"].status == "submitted"
    assert done["launch.yaml"].path == f"memory://{root}/launch.yaml"
    assert done["broken.json"].status == "rejected" and "line 1" in (
        done["broken.json"].detail or ""
    )
    assert sorted(p.removeprefix(f"{root}/") for p in found) == [
        "launch.yaml", "launch/hero.jpg", "launch/logo.png",
        "rejected/broken.json", "rejected/broken.json.errors.txt",
    ]  # fmt: skip
    assert campaign_count(service) == 1
