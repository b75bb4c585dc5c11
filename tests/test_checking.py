"""The brand kit applied to one creative's copy: required disclaimers added, words and claims."""

from __future__ import annotations

from creative_automation.brief import parse_brief
from creative_automation.checking import legal_checks, scaled
from creative_automation.formats import resolve_format
from creative_automation.plan import make_plan
from factories import brief_data

KIT = {
    "name": "Brand",
    "prohibited_words": ["cure"],
    "prohibited_claims": {"US": ["clinically proven"]},
    "disclaimers": {"US": ["Terms apply."], "MX": ["Aplican restricciones."]},
}


def _specs(**changes: object) -> dict[str, object]:
    brief = parse_brief(
        brief_data(products=[{"id": "p", "name": "P"}], formats=["1:1"], brand=KIT, **changes)
    )
    assert brief.brand is not None
    return {s.locale: (s, brief.brand.for_locale(s.locale)) for s in make_plan(brief)}


def test_a_missing_required_disclaimer_is_added_and_then_found() -> None:
    spec, kit = _specs(locales={"en-US": {"message": "Fresh every day"}})["en-US"]  # type: ignore[misc]
    copy, findings, corrections = legal_checks(spec, kit)
    assert copy["disclaimer"] == "Terms apply."
    assert corrections == [
        "added the required disclaimer “Terms apply.” (en-US) to the small print"
    ]
    (disclaimer,) = [f for f in findings if f.check == "required_disclaimer"]
    assert disclaimer.status == "pass" and "disclaimer" in disclaimer.detail


def test_a_disclaimer_the_brief_gives_is_kept_and_not_doubled() -> None:
    locales = {"es-MX": {"message": "Fresco cada día", "disclaimer": "Aplican restricciones."}}
    spec, kit = _specs(language="es", message="Fresco", locales=locales)["es-MX"]  # type: ignore[misc]
    copy, _, corrections = legal_checks(spec, kit)
    assert copy["disclaimer"] == "Aplican restricciones." and corrections == []


def test_the_brief_small_print_comes_first_then_what_is_missing() -> None:
    locales = {"en-US": {"message": "Fresh", "disclaimer": "While stocks last."}}
    spec, kit = _specs(locales=locales)["en-US"]  # type: ignore[misc]
    copy, _, _ = legal_checks(spec, kit)
    assert copy["disclaimer"] == "While stocks last. Terms apply."


def test_prohibited_words_and_claims_are_found_in_every_text() -> None:
    locales = {"en-US": {"message": "Clinically proven freshness", "call_to_action": "Cure it"}}
    spec, kit = _specs(locales=locales)["en-US"]  # type: ignore[misc]
    _, findings, _ = legal_checks(spec, kit)
    failed = {(f.check, f.value) for f in findings if f.status == "fail"}
    assert failed == {("prohibited_words", "cure"), ("prohibited_claims", "clinically proven")}


def test_kit_pixel_sizes_scale_with_the_shorter_side() -> None:
    assert scaled(140, resolve_format("9:16")) == 140
    assert scaled(None, resolve_format("1:1")) == 0
