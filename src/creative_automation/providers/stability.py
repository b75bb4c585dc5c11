"""Stability AI Stable Image v2beta generate (ultra, core, sd3) over httpx (providers.md §2)."""

from __future__ import annotations

import asyncio
import time

import httpx
from pydantic import SecretStr

from creative_automation.errors import (
    ConfigError,
    ContentRejected,
    ProviderError,
    ProviderFailed,
    ProviderUnavailable,
)
from creative_automation.prompts import negative_prompt
from creative_automation.providers.base import GenerationRequest, GenerationResult, SourceFormat
from creative_automation.providers.decode import decode_image
from creative_automation.providers.http import (
    ClientSlot,
    Reply,
    aspect_distance,
    scrub,
    send,
    status_error,
)
from creative_automation.providers.prices import price

LABEL = "stability"
# §2.2: the aspect ratios every generate endpoint accepts for text-to-image.
ASPECT_RATIOS: dict[str, tuple[int, int]] = {
    "21:9": (21, 9),
    "16:9": (16, 9),
    "3:2": (3, 2),
    "5:4": (5, 4),
    "1:1": (1, 1),
    "4:5": (4, 5),
    "2:3": (2, 3),
    "9:16": (9, 16),
    "9:21": (9, 21),
}
# §2.2: seeds run 0..4294967294; 0 (or none) asks the service for a random seed.
SEED_MODULUS = 4_294_967_295


def endpoint_for(model: str) -> str:
    """The generate endpoint serving `model`: ultra and core are their own, SD 3.x is sd3."""
    if model in ("ultra", "core"):
        return model
    if model.startswith("sd3"):
        return "sd3"
    raise ConfigError(f"unknown Stability model {model!r}; use ultra, core or an sd3.5-* model")


def aspect_ratio_for(width: int, height: int) -> str:
    """The documented aspect ratio nearest width:height."""
    return min(ASPECT_RATIOS, key=lambda r: aspect_distance(width, height, *ASPECT_RATIOS[r]))


class StabilityImageProvider:
    """Text-to-image through Stability's REST API; errors are translated into ours."""

    name = "stability"

    def __init__(
        self,
        api_key: SecretStr,
        *,
        model: str = "core",
        base_url: str = "https://api.stability.ai",
        timeout_s: float = 120.0,
        client: httpx.AsyncClient | None = None,
        source_format: SourceFormat = "jpeg",
    ) -> None:
        self._api_key = api_key
        self._format = source_format  # every endpoint takes png and jpeg (§2.2)
        self.model = model
        self._endpoint = endpoint_for(model)
        self._cost_usd = price("stability", model)  # an unpriced model fails at start-up
        self._url = f"{base_url.rstrip('/')}/v2beta/stable-image/generate/{self._endpoint}"
        self._timeout_s = timeout_s
        self._client = ClientSlot(timeout_s, client)

    def __repr__(self) -> str:
        return f"StabilityImageProvider(model={self.model!r}, url={self._url!r})"

    async def aclose(self) -> None:
        await self._client.aclose()

    def form_fields(self, request: GenerationRequest) -> dict[str, str]:
        """The multipart form fields sent for `request` (§2.2)."""
        fields = {
            "prompt": request.prompt,
            "aspect_ratio": aspect_ratio_for(request.width, request.height),
            "seed": str(request.seed % SEED_MODULUS),
            "output_format": self._format,
        }
        # §2.2: turbo SD models do not take a negative prompt.
        if "turbo" not in self.model:
            fields["negative_prompt"] = request.negative_prompt or negative_prompt()
        if self._endpoint == "sd3":
            fields["model"] = self.model
        return fields

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        """One image for the request: exactly one HTTP call, no retries (the router owns those)."""
        if request.packshot is not None:
            # Text-to-image cannot stage the real product; an invented one would misrepresent it.
            raise ProviderFailed(f"{LABEL}: cannot stage a packshot cut-out (text-to-image only)")
        started = time.perf_counter()
        fields = self.form_fields(request)
        reply = await send(
            self._client.get(),
            LABEL,
            "POST",
            self._url,
            timeout_s=self._timeout_s,
            headers={
                "authorization": f"Bearer {self._api_key.get_secret_value()}",
                "accept": "image/*",
            },
            # (None, value) parts are plain form fields; files= forces multipart, which §2.1
            # requires even when no file is attached.
            files={key: (None, value.encode()) for key, value in fields.items()},
        )
        if reply.status != 200:
            raise self._error(reply)
        if not reply.content_type.startswith("image/"):
            raise ProviderUnavailable(
                f"{LABEL}: malformed response: HTTP 200 with content-type "
                f"{reply.content_type or 'none'!r}, expected an image",
                status=200,
            )
        if reply.headers.get("finish-reason", "").upper() == "CONTENT_FILTERED":
            # §2.3: a "successful" generation whose output broke policy and came back blurred.
            raise ContentRejected(f"{LABEL}: output filtered by content moderation (blurred)")
        image = await asyncio.to_thread(
            decode_image, reply.body, LABEL, (request.width, request.height)
        )
        return GenerationResult(
            image=image,
            provider=self.name,
            model=self.model,
            seed=_int_or(reply.headers.get("seed"), int(fields["seed"])),
            cost_usd=self._cost_usd,
            latency_s=time.perf_counter() - started,
            subject_box=None,
            prompt=request.prompt,
        )

    def _error(self, reply: Reply) -> ProviderError:
        body = reply.json_object() or {}
        name = body.get("name")
        errors = body.get("errors")
        parts = [str(name)] if isinstance(name, str) and name else []
        if isinstance(errors, list):
            parts.append("; ".join(str(e) for e in errors))
        elif not body:
            parts.append(reply.body.decode("utf-8", "replace"))
        detail = scrub(": ".join(p for p in parts if p), (self._api_key,))
        if reply.status == 403 and name == "content_moderation":
            return ContentRejected(f"{LABEL}: HTTP 403: {detail}")
        return status_error(LABEL, reply, detail)


def _int_or(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


__all__ = ["ASPECT_RATIOS", "StabilityImageProvider", "aspect_ratio_for"]
