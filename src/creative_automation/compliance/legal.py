"""Prohibited words in the copy that appears on a creative (whole words, case-folded)."""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

from .findings import Finding

if TYPE_CHECKING:
    from ..brief import Brief
    from ..plan import CreativeSpec


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def prohibited_word_findings(spec: CreativeSpec, brief: Brief) -> list[Finding]:
    words = brief.brand.prohibited_words if brief.brand else []
    if not words:
        return []
    text = _norm(" ".join(filter(None, (spec.message, spec.call_to_action))))
    hits = [w for w in words if re.search(rf"(?<!\w){re.escape(_norm(w))}(?!\w)", text)]
    return [
        Finding(
            check="prohibited_words",
            status="fail" if hits else "pass",
            value=", ".join(hits) if hits else None,
            detail=f"prohibited by the brand kit, found in the {spec.locale} copy"
            if hits
            else f"{len(words)} prohibited words checked",
        )
    ]
