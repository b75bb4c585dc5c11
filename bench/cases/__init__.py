"""Labelled sets for the compliance checks: generated cases with a known answer.

Each module here generates creatives (real pixels or real text) with and without the problem
one check exists to catch, runs that check on every case and returns an Outcome per case.
`bench/compliance.py` prints precision and recall per check from them; the tests under
tests/compliance assert the targets on the same sets.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    """One labelled case run through one check."""

    check: str  # the Finding.check it is about, e.g. "logo_present"
    case: str  # what the case is, e.g. "dark-photo/scrim/jpeg-q90/no-logo"
    expected: bool  # True when the case has the problem the check must flag
    flagged: bool  # True when the check flagged it (status fail or warn)
    ms: float = 0.0  # time the check took on this case


@dataclass(frozen=True)
class Scores:
    check: str
    cases: int
    true_pos: int
    false_pos: int
    false_neg: int
    median_ms: float

    @property
    def precision(self) -> float:
        flagged = self.true_pos + self.false_pos
        return self.true_pos / flagged if flagged else 1.0

    @property
    def recall(self) -> float:
        actual = self.true_pos + self.false_neg
        return self.true_pos / actual if actual else 1.0


def scores(outcomes: Iterable[Outcome]) -> list[Scores]:
    """Precision, recall and median time per check, in the order the checks first appear."""
    by: dict[str, list[Outcome]] = {}
    for o in outcomes:
        by.setdefault(o.check, []).append(o)
    out = []
    for check, items in by.items():
        times = sorted(o.ms for o in items)
        out.append(
            Scores(
                check=check,
                cases=len(items),
                true_pos=sum(o.expected and o.flagged for o in items),
                false_pos=sum(o.flagged and not o.expected for o in items),
                false_neg=sum(o.expected and not o.flagged for o in items),
                median_ms=times[len(times) // 2] if times else 0.0,
            )
        )
    return out


def misses(outcomes: Iterable[Outcome]) -> list[Outcome]:
    """The cases a check got wrong (for a failing test's message)."""
    return [o for o in outcomes if o.expected != o.flagged]
