"""The alert rules' thresholds and the healing limits: config (YAML), not code."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import ConfigError
from ..storage import Severity


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rule(_Strict):
    enabled: bool = True
    severity: Severity = Severity.WARNING
    throttle_minutes: float = Field(60.0, gt=0, description="Least time between two notices.")


class VariantsRule(Rule):
    """Fewer distinct creatives for a product than the brief's `min_variants`."""

    duplicate_distance: int = Field(
        2,
        ge=0,
        le=64,
        description="Perceptual-hash distance (bits of 64) at or below which two creatives "
        "count as one variant.",
    )


class CountRule(Rule):
    """Fires when at least `min_count` creatives of a campaign are in the state."""

    min_count: int = Field(1, ge=1)


class ProviderRule(Rule):
    """A provider's breaker open, or its recent calls failing or slow."""

    severity: Severity = Severity.CRITICAL
    window_minutes: float = Field(15.0, gt=0)
    min_calls: int = Field(5, ge=1, description="Fewer calls in the window say nothing.")
    error_rate: float = Field(0.5, gt=0, le=1)
    latency_p95_s: float = Field(60.0, gt=0)


class BudgetRule(Rule):
    warn_at: float = Field(0.8, gt=0, description="Share of the budget spent that warns.")
    critical_at: float = Field(1.0, gt=0)


class DueRule(Rule):
    warn_hours: float = Field(48.0, gt=0, description="Unfinished this close to its due date.")
    critical_hours: float = Field(12.0, ge=0)


class Healing(_Strict):
    enabled: bool = True
    max_attempts: int = Field(3, ge=0, le=20, description="Automatic retries per campaign.")
    backoff_minutes: float = Field(
        5.0, ge=0, description="Wait before the first retry; doubles after each."
    )


class Rules(_Strict):
    """Every rule the monitor evaluates, with its thresholds."""

    watch_hours: float = Field(
        72.0, gt=0, description="Finished campaigns are watched this long after they end."
    )
    insufficient_variants: VariantsRule = VariantsRule()
    missing_creatives: Rule = Rule()
    failed_creatives: CountRule = CountRule()
    needs_review: CountRule = CountRule(severity=Severity.INFO)
    missing_copy: Rule = Rule()
    campaign_failed: Rule = Rule(severity=Severity.CRITICAL)
    provider_incident: ProviderRule = ProviderRule()
    budget: BudgetRule = BudgetRule()
    due_date: DueRule = DueRule()
    healing: Healing = Healing()


def load_rules(path: Path | None) -> Rules:
    """The rules in `path` (YAML; any rule or threshold left out keeps its default), or the
    defaults. ConfigError names the file and the field."""
    if path is None:
        return Rules()
    try:
        data = yaml.safe_load(path.read_text("utf-8")) or {}
    except OSError as exc:
        raise ConfigError(f"CAP_AGENT_RULES: cannot read {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"CAP_AGENT_RULES: {path} is not valid YAML: {exc}") from None
    try:
        return Rules.model_validate(data)
    except ValidationError as exc:
        lines = [
            f"  - {'.'.join(str(p) for p in err['loc']) or '(top level)'}: {err['msg']}"
            for err in exc.errors()
        ]
        raise ConfigError("\n".join([f"invalid alert rules in {path}", *lines])) from None


__all__ = ["Rules", "load_rules"]
