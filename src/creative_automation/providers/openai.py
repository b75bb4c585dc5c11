"""OpenAI Images through the official async SDK: text-to-image, and packshots staged by edits."""

from __future__ import annotations

import asyncio
import base64
import binascii
import math
import time
from typing import Any, Literal, cast

from openai.types import ImagesResponse
from PIL import Image
from pydantic import SecretStr

from creative_automation.errors import ConfigError, ProviderFailed, ProviderUnavailable
from creative_automation.providers.base import (
    SOURCE_JPEG_QUALITY,
    GenerationRequest,
    GenerationResult,
    SourceFormat,
)
from creative_automation.providers.decode import decode_image
from creative_automation.providers.openai_sdk import OpenAIBase
from creative_automation.providers.packshot import StagedLayer, stage_layer
from creative_automation.providers.prices import (
    edit_input_usd,
    max_edit_input_usd,
    max_price,
    price,
)

Size = Literal["1024x1024", "1536x1024", "1024x1536", "1792x1024", "1024x1792"]
NATIVE_SIZES: dict[str, tuple[Size, ...]] = {
    "gpt-image": ("1024x1024", "1536x1024", "1024x1536"),
    "dall-e-3": ("1024x1024", "1792x1024", "1024x1792"),
}
# dall-e-3 names its two qualities differently; the settings' gpt-image names map onto them so
# one CAP_OPENAI_IMAGE_QUALITY works for either family.
_DALLE3_QUALITY = {"low": "standard", "medium": "standard", "standard": "standard", "high": "hd"}
# §1.3: input_fidelity (keep the input image's details) is not offered by gpt-image-1-mini.
_NO_FIDELITY = ("gpt-image-1-mini",)


def model_family(model: str) -> str:
    """The model's family, "gpt-image" or "dall-e-3"; any other model is a configuration error."""
    if model == "dall-e-3":
        return "dall-e-3"
    if model.startswith(("gpt-image-", "chatgpt-image-")):
        return "gpt-image"
    raise ConfigError(f"OpenAI image model {model!r} is not supported: use gpt-image-* or dall-e-3")


def native_size(width: int, height: int, family: str) -> Size:
    """The family's size whose aspect ratio is nearest (on a log scale) to width:height."""

    def distance(size: Size) -> float:
        w, h = (int(side) for side in size.split("x"))
        return abs(math.log(width / height) - math.log(w / h))

    return min(NATIVE_SIZES[family], key=distance)


class OpenAIImageProvider(OpenAIBase):
    """Images from OpenAI's Images API (gpt-image-* or dall-e-3) at the model's native size.

    The image has the native size nearest the request's aspect ratio (e.g. 1536x1024 for a
    1920x1080 request), not the request's exact size: later stages crop to each format.
    OpenAI has no seed parameter: results are not reproducible and the request's seed is
    reported back only so caches and manifests stay keyed consistently.

    A request with a cut-out packshot goes to the edits endpoint (gpt-image models): the product
    stands in an otherwise transparent frame, the mask leaves only the product untouched, the
    model paints the scene around it, and the product's own pixels are laid back over the
    answer, so the creative shows the real product exactly, never the model's redrawing of it.
    """

    def __init__(
        self,
        api_key: SecretStr,
        *,
        model: str = "gpt-image-1",
        quality: str = "medium",
        base_url: str | None = None,
        timeout_s: float = 120.0,
        source_format: SourceFormat = "jpeg",
    ) -> None:
        super().__init__(api_key, model=model, base_url=base_url, timeout_s=timeout_s)
        # gpt-image models answer in the format asked for (dall-e-3 always in PNG)
        self.output: dict[str, Any] = {"output_format": source_format, "background": "opaque"}
        if source_format == "jpeg":
            self.output["output_compression"] = SOURCE_JPEG_QUALITY
        self.family = model_family(model)
        self.quality = (
            _DALLE3_QUALITY.get(quality, quality) if self.family == "dall-e-3" else quality
        )
        for size in NATIVE_SIZES[self.family]:  # an unpriced model/quality fails now, not later
            price("openai", model, size=size, quality=self.quality)
        self.stages_packshots = self.family == "gpt-image"
        if self.stages_packshots:
            max_edit_input_usd(model)  # unpriced edit input: fail now too

    def estimate_usd(self, *, packshot: bool = False) -> float:
        """The most one image can cost: what a budget must reserve before the call."""
        out = max_price("openai", self.model, quality=self.quality)
        return out + (max_edit_input_usd(self.model) if packshot else 0.0)

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        started = time.perf_counter()
        size = native_size(request.width, request.height, self.family)
        if request.packshot is not None:
            return await self._stage(request, size, started)
        images = (await self._client()).images
        if self.family == "dall-e-3":
            call = images.generate(
                model=self.model, prompt=request.prompt, size=size, n=1,
                quality=cast(Literal["standard", "hd"], self.quality),
                response_format="b64_json",
            )  # fmt: skip
        else:  # GPT image models always answer in base64 and reject response_format
            call = images.generate(
                model=self.model, prompt=request.prompt, size=size, n=1,
                quality=cast(Literal["low", "medium", "high"], self.quality),
                **self.output,
            )  # fmt: skip
        response = await self._guarded(call)
        raw, image = await self._image(response)
        return GenerationResult(
            image=image,
            provider=self.name,
            model=self.model,
            seed=request.seed,
            cost_usd=price("openai", self.model, size=size, quality=self.quality),
            latency_s=time.perf_counter() - started,
            subject_box=None,
            prompt=request.prompt,
            encoded=raw,
        )

    async def _stage(
        self, request: GenerationRequest, size: Size, started: float
    ) -> GenerationResult:
        """The packshot staged in a scene by POST /v1/images/edits (§1.3)."""
        if not self.stages_packshots:
            raise ProviderFailed(f"OpenAI {self.model} cannot edit images: staging a packshot "
                                 "needs a gpt-image model")  # fmt: skip
        assert request.packshot is not None
        w, h = (int(side) for side in size.split("x"))
        layer: StagedLayer = await asyncio.to_thread(stage_layer, request.packshot, w, h)
        frame = await asyncio.to_thread(layer.png)
        # The frame is its own mask: alpha 0 (everything but the product) is the area to paint.
        options: dict[str, Any] = {} if self.model in _NO_FIDELITY else {"input_fidelity": "high"}
        call = (await self._client()).images.edit(
            model=self.model, prompt=request.prompt, size=size, n=1,
            image=("packshot.png", frame, "image/png"),
            mask=("mask.png", frame, "image/png"),
            quality=cast(Literal["low", "medium", "high"], self.quality),
            **self.output, **options,
        )  # fmt: skip
        response = await self._guarded(call)
        _, painted = await self._image(response)
        if painted.size != (w, h):
            painted = painted.resize((w, h), Image.Resampling.LANCZOS)
        image = await asyncio.to_thread(layer.over, painted)
        cost = price("openai", self.model, size=size, quality=self.quality)
        return GenerationResult(
            image=image,
            provider=self.name,
            model=self.model,
            seed=request.seed,
            cost_usd=cost + edit_input_usd(self.model, getattr(response, "usage", None)),
            latency_s=time.perf_counter() - started,
            subject_box=layer.box,
            prompt=request.prompt,
        )

    async def _image(self, response: object) -> tuple[bytes, Image.Image]:
        """The answer's image file and its decoding."""
        b64 = _first_b64(response)
        try:
            if b64 is None:
                raise ValueError("no b64_json image in the response")
            raw = base64.b64decode(b64, validate=True)
        except (binascii.Error, ValueError) as exc:
            reason = type(exc).__name__
            raise ProviderUnavailable(
                f"malformed response from OpenAI ({reason})", status=200
            ) from None
        return raw, await asyncio.to_thread(decode_image, raw, "OpenAI")


def _first_b64(response: object) -> str | None:
    # The SDK does not validate bodies: a non-JSON content type arrives as str, a wrong shape as
    # a model with missing or mistyped fields.
    data = getattr(response, "data", None) if isinstance(response, ImagesResponse) else None
    first = data[0] if isinstance(data, list) and data else None
    b64 = getattr(first, "b64_json", None)
    return b64 if isinstance(b64, str) and b64 else None


__all__ = ["NATIVE_SIZES", "OpenAIImageProvider", "model_family", "native_size"]
