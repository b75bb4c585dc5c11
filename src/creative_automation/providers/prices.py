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


def _edit_rates(model: str) -> tuple[float, float]:
    try:
        rates: Any = _table()["openai_edit_input"][model]
        return float(rates["text_in"]), float(rates["image_in"])
    except KeyError:
        raise ConfigError(
            f"no edit input price for openai/{model} in the price table (prices.yaml)"
        ) from None


def max_edit_input_usd(model: str) -> float:
    """The most the input of one OpenAI edit (frame, mask, prompt) can cost: reserved up front."""
    text_in, image_in = _edit_rates(model)
    most: Any = _table()["openai_edit_input"]["max_tokens"]
    return (float(most["text"]) * text_in + float(most["image"]) * image_in) / 1e6


def edit_input_usd(model: str, usage: object) -> float:
    """What the input of one OpenAI edit cost, from the response's `usage` (§1.4). Without
    token details every input token is costed at the image rate; without `usage` at all the
    reserved maximum is booked: spend is never under-reported."""
    text_in, image_in = _edit_rates(model)
    details = getattr(usage, "input_tokens_details", None)
    text, image = (getattr(details, name, None) for name in ("text_tokens", "image_tokens"))
    if isinstance(text, int) and isinstance(image, int):
        return (text * text_in + image * image_in) / 1e6
    total = getattr(usage, "input_tokens", None)
    if isinstance(total, int):
        return total * image_in / 1e6
    return max_edit_input_usd(model)


def _flatten(entry: Any) -> list[float]:
    if isinstance(entry, dict):
        return [v for sub in entry.values() for v in _flatten(sub)]
    return [float(entry)]
