"""The output contract: manifest.json field names, schema version, and atomic writes."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from creative_automation.compliance.findings import Finding
from creative_automation.manifest import (
    SCHEMA_VERSION,
    CreativeRecord,
    LayoutRecord,
    Manifest,
    ReviewRecord,
    Totals,
    write_atomic,
    write_manifest,
)


def record(**changes: Any) -> CreativeRecord:
    data: dict[str, Any] = dict(
        product_id="roast",
        locale="es-MX",
        format="story",
        aspect_ratio="9:16",
        width=1080,
        height=1920,
        path="roast/9x16/es-MX.jpg",
        source="generated",
        provider="procedural",
        model="procedural-v1",
        seed=7,
        cost_usd=0.04,
        status="needs_review",
        layout=LayoutRecord(
            text_box=[64, 300, 1016, 620], logo_box=None, subject_box=[200, 700, 900, 1500]
        ),
        fonts=["NotoSans-Bold"],
        fallbacks=["brand font lacks 'ñ'"],
        corrections=["scrim added behind the headline"],
        compliance=[
            Finding(check="contrast", status="pass", value=7.1, threshold=4.5, detail="headline"),
            Finding(check="prohibited_words", status="fail", value="gratis", detail="es-MX copy"),
        ],
    )
    data.update(changes)
    return CreativeRecord(**data)


def manifest(*records: CreativeRecord) -> Manifest:
    recs = list(records) or [record()]
    return Manifest(
        campaign_id="summer",
        campaign_name="Summer",
        created_at="2026-11-23T10:00:00+00:00",
        output_format="jpeg",
        creatives=recs,
        totals=Totals(
            creatives=len(recs),
            ok=sum(r.status == "ok" for r in recs),
            needs_review=sum(r.status == "needs_review" for r in recs),
            failed=sum(r.status == "failed" for r in recs),
            cost_usd=round(sum(r.cost_usd for r in recs), 4),
            duration_s=1.25,
        ),
    )


def test_write_atomic_leaves_only_the_target(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "manifest.json"  # the folder is created on the way
    write_atomic(target, b"first")
    write_atomic(target, b"second")
    assert target.read_bytes() == b"second"
    assert sorted(p.name for p in target.parent.iterdir()) == ["manifest.json"]


def test_failed_rename_keeps_the_old_file_and_removes_the_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "manifest.json"
    target.write_bytes(b"old and complete")

    def broken_replace(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, b"new")
    assert target.read_bytes() == b"old and complete"
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"]


def test_failed_write_keeps_the_old_file_and_removes_the_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_bytes(b"old")
    with pytest.raises(TypeError):
        write_atomic(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_written_files_get_the_usual_permissions(tmp_path: Path) -> None:
    plain = tmp_path / "plain.json"
    plain.write_bytes(b"{}")  # what open() gives under the current umask
    atomic = tmp_path / "atomic.json"
    write_atomic(atomic, b"{}")
    assert stat.S_IMODE(atomic.stat().st_mode) == stat.S_IMODE(plain.stat().st_mode)


def test_manifest_round_trips_through_json(tmp_path: Path) -> None:
    original = manifest(record(), record(locale="ar-AE", path=None, status="failed"))
    path = write_manifest(original, tmp_path)
    assert path == tmp_path / "manifest.json"
    loaded = Manifest.model_validate_json(path.read_text(encoding="utf-8"))
    assert loaded == original
    assert loaded.creatives[1].path is None
    assert loaded.creatives[0].compliance[1].blocking


def test_manifest_has_the_contract_field_names(tmp_path: Path) -> None:
    data = json.loads(write_manifest(manifest(), tmp_path).read_text(encoding="utf-8"))
    assert data["schema_version"] == SCHEMA_VERSION == 1
    assert {"schema_version", "campaign_id", "created_at", "creatives", "totals"} <= set(data)
    assert data["campaign_id"] == "summer"
    assert data["created_at"] == "2026-11-23T10:00:00+00:00"
    assert {"creatives", "cost_usd", "duration_s"} <= set(data["totals"])
    assert data["totals"]["creatives"] == 1
    (creative,) = data["creatives"]
    contract = {
        "product_id": "roast",
        "locale": "es-MX",
        "format": "story",
        "aspect_ratio": "9:16",
        "width": 1080,
        "height": 1920,
        "path": "roast/9x16/es-MX.jpg",
        "source": "generated",
        "provider": "procedural",
        "model": "procedural-v1",
        "seed": 7,
        "cost_usd": 0.04,
        "status": "needs_review",
        "fonts": ["NotoSans-Bold"],
        "fallbacks": ["brand font lacks 'ñ'"],
        "corrections": ["scrim added behind the headline"],
    }
    assert {k: creative[k] for k in contract} == contract
    layout = creative["layout"]
    assert layout["text_box"] == [64, 300, 1016, 620]
    assert layout["logo_box"] is None  # present and null, not missing
    assert layout["subject_box"] == [200, 700, 900, 1500]
    contrast, words = creative["compliance"]
    assert contrast == {
        "check": "contrast",
        "status": "pass",
        "value": 7.1,
        "threshold": 4.5,
        "detail": "headline",
    }
    assert {"check", "status", "value", "threshold", "detail"} == set(words)
    assert words["threshold"] is None
    assert words["value"] == "gratis"


def test_contract_enums_are_enforced() -> None:
    with pytest.raises(ValueError):
        record(status="done")
    with pytest.raises(ValueError):
        record(source="stock")
    with pytest.raises(ValueError):
        Finding(check="contrast", status="ok")


def test_reviews_are_additions_that_older_manifests_do_without(tmp_path: Path) -> None:
    data = json.loads(write_manifest(manifest(), tmp_path).read_text(encoding="utf-8"))
    (creative,) = data["creatives"]
    assert creative["review"] is None  # present and null: nobody has reviewed it
    assert (data["totals"]["approved"], data["totals"]["rejected"]) == (0, 0)
    # a manifest written before reviews existed still reads, as unreviewed
    del creative["review"], data["totals"]["approved"], data["totals"]["rejected"]
    old = Manifest.model_validate(data)
    assert old.schema_version == SCHEMA_VERSION == 1
    assert old.creatives[0].review is None
    assert (old.totals.approved, old.totals.rejected, old.totals.awaiting_review) == (0, 0, 1)


def test_a_review_round_trips_with_its_contract_field_names(tmp_path: Path) -> None:
    review = ReviewRecord(
        decision="rejected",
        reviewer="Ana Ruiz",
        recorded_by="key ui (cap_Ab3dE6gH)",
        reviewed_at="2026-11-24T10:00:00+00:00",
        comment="the price is wrong",
    )
    original = manifest(record(review=review), record(locale="ar-AE", path=None, status="failed"))
    original.totals.rejected = 1
    path = write_manifest(original, tmp_path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["creatives"][0]["review"] == {
        "decision": "rejected",
        "reviewer": "Ana Ruiz",
        "recorded_by": "key ui (cap_Ab3dE6gH)",
        "reviewed_at": "2026-11-24T10:00:00+00:00",
        "comment": "the price is wrong",
    }
    loaded = Manifest.model_validate_json(path.read_text(encoding="utf-8"))
    assert loaded == original
    assert loaded.totals.awaiting_review == 0  # one rejected, one failed (nothing to review)
    with pytest.raises(ValueError):
        ReviewRecord.model_validate({**data["creatives"][0]["review"], "decision": "maybe"})
