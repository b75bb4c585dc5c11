"""Checks on final pixels and text; each returns typed findings (data, never exceptions)."""

from .findings import Finding, FindingStatus

__all__ = ["Finding", "FindingStatus"]
