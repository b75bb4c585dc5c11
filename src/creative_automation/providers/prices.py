"""Price per generated image from the price table (prices.yaml), with the date it was read."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

from ..errors import ConfigError


@cache
def _table() -> dict[str, Any]:
    text = resources.files("creative_automation.providers").joinpath("prices.yaml").read_text()
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def prices_read_on() -> str:
    """The date the price table was read from the providers' pages."""
    return str(_table()["read_on"])


def price(
    provider: str, model: str, *, size: str | None = None, quality: str | None = None
) -> float:
    """USD for one image. Sizes and qualities are looked up where the provider prices by them;
    an unknown model is a configuration error (never a silent zero)."""
    try:
        entry: Any = _table()[provider][model]
        if isinstance(entry, dict):
            entry = entry[quality or next(iter(entry))]
        if isinstance(entry, dict):
            entry = entry[size or next(iter(entry))]
        return float(entry)
    except KeyError:
        where = "/".join(x for x in (provider, model, quality, size) if x)
        raise ConfigError(f"no price for {where} in the price table (prices.yaml)") from None


def max_price(provider: str, model: str, *, quality: str | None = None) -> float:
    """The most one image from this model can cost (any size): what a budget must reserve
    before the provider has chosen its size."""
    try:
        entry: Any = _table()[provider][model]
    except KeyError:
        raise ConfigError(
            f"no price for {provider}/{model} in the price table (prices.yaml)"
        ) from None
    if isinstance(entry, dict) and quality in entry:
        entry = entry[quality]
    return max(_flatten(entry))


def _flatten(entry: Any) -> list[float]:
    if isinstance(entry, dict):
        return [v for sub in entry.values() for v in _flatten(sub)]
    return [float(entry)]
