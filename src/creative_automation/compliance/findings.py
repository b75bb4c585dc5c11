"""The finding record every check returns, as written to the manifest."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

FindingStatus = Literal["pass", "warn", "fail", "skipped"]


class Finding(BaseModel):
    """One measured check: what, its status, the measured value, the threshold, and where."""

    check: str
    status: FindingStatus
    value: float | str | None = None
    threshold: float | str | None = None
    detail: str = ""

    @property
    def blocking(self) -> bool:
        return self.status == "fail"
