"""OpenAI providers through the official async SDK: images (Images API) and text (chat)."""

from __future__ import annotations

import asyncio
import base64
import binascii
import email.utils
import io
import math
import re
import time
from collections.abc import AsyncGenerator, Awaitable, Mapping
from datetime import UTC, datetime
from typing import Literal, TypeVar, cast

import openai
from openai.types import ImagesResponse
from openai.types.chat import ChatCompletion, ChatCompletionMessageParam
from PIL import Image
from pydantic import SecretStr

from creative_automation.errors import (
    ConfigError,
    ContentRejected,
    ProviderError,
    ProviderFailed,
    ProviderUnavailable,
)
from creative_automation.prompts import template
from creative_automation.providers.base import (
    MAX_SIDE,
    GenerationRequest,
    GenerationResult,
    TextProvider,
)
from creative_automation.providers.prices import price

Size = Literal["1024x1024", "1536x1024", "1024x1536", "1792x1024", "1024x1792"]
NATIVE_SIZES: dict[str, tuple[Size, ...]] = {
    "gpt-image": ("1024x1024", "1536x1024", "1024x1536"),
    "dall-e-3": ("1024x1024", "1792x1024", "1024x1792"),
}
# dall-e-3 names its two qualities differently; the settings' gpt-image names map onto them so
# one CAP_OPENAI_IMAGE_QUALITY works for either family.
_DALLE3_QUALITY = {"low": "standard", "medium": "standard", "standard": "standard", "high": "hd"}
_CONTENT_POLICY_CODES = {"content_policy_violation", "moderation_blocked"}
_KEY_LIKE = re.compile(r"sk-[A-Za-z0-9_\-*.]{4,}")  # server messages quote (masked) keys
_QUOTES = "\"'“”„‘’‚«»‹›「」『』"
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError)
T = TypeVar("T")


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


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from `retry-after-ms` (ms) or `retry-after` (seconds or an HTTP date)."""
    value = headers.get("retry-after-ms")
    try:
        seconds = float(value) / 1000 if value is not None else None
    except ValueError:
        seconds = None
    if seconds is None and (value := headers.get("retry-after")) is not None:
        try:
            seconds = float(value)
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                return None
            when = when if when.tzinfo else when.replace(tzinfo=UTC)
            seconds = (when - datetime.now(UTC)).total_seconds()
    if seconds is None or not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def _scrub(text: str, key: SecretStr) -> str:
    secret = key.get_secret_value()
    text = text.replace(secret, "[redacted]") if secret else text
    return _KEY_LIKE.sub("sk-[redacted]", text)[:300]


def translate_error(exc: openai.OpenAIError, key: SecretStr) -> ProviderError:
    """Our error for an SDK exception; messages carry status, code and request id, never the key."""
    if isinstance(exc, openai.APITimeoutError):
        return ProviderUnavailable("OpenAI did not answer within the timeout")
    if isinstance(exc, openai.APIConnectionError):
        return ProviderUnavailable("cannot reach OpenAI (connection failed)")
    if isinstance(exc, openai.APIResponseValidationError):
        return ProviderUnavailable("malformed response from OpenAI", status=exc.status_code)
    if not isinstance(exc, openai.APIStatusError):
        return ProviderFailed(f"OpenAI client error ({type(exc).__name__})")
    status, code, kind = exc.status_code, exc.code or "", exc.type or ""
    ref = ", ".join(
        x for x in (f"HTTP {status}", code, exc.request_id and f"request {exc.request_id}") if x
    )
    body = exc.body if isinstance(exc.body, dict) else {}
    detail = _scrub(str(body.get("message") or ""), key)
    if status == 400 and code in _CONTENT_POLICY_CODES:
        return ContentRejected(f"OpenAI refused the prompt under its content policy ({ref})")
    if status == 401:  # the server's message quotes the (masked) key: leave it out
        return ProviderFailed(
            f"OpenAI rejected the API key ({ref}); check OPENAI_API_KEY", status=401
        )
    if status == 403:
        return ProviderFailed(f"OpenAI refused this API key access ({ref}): {detail}", status=403)
    if status == 429 and "insufficient_quota" in (code, kind):
        return ProviderFailed(f"OpenAI quota exhausted: check plan and billing ({ref})", status=429)
    if status in (408, 409, 429) or status >= 500:
        wait = parse_retry_after(exc.response.headers)
        return ProviderUnavailable(
            f"OpenAI is unavailable ({ref}): {detail}", retry_after=wait, status=status
        )
    return ProviderFailed(f"OpenAI rejected the request ({ref}): {detail}", status=status)


_Keeper = AsyncGenerator[None, None]


async def _close_with_loop(client: openai.AsyncOpenAI) -> _Keeper:
    """Closes `client` when the loop shuts down: a started async generator is registered with
    its loop, and asyncio.run() closes every open one (loop.shutdown_asyncgens) before the
    loop ends, while the connections can still be closed properly."""
    try:
        yield
    finally:
        await client.close()


class _OpenAIBase:
    """The SDK client and its error boundary, shared by the image and the text provider."""

    name: str = "openai"

    def __init__(
        self, api_key: SecretStr, *, model: str, base_url: str | None, timeout_s: float
    ) -> None:
        if not api_key.get_secret_value().strip():
            raise ConfigError("OPENAI_API_KEY is empty")
        self.model = model
        self._key = api_key
        self._base_url = base_url
        self._timeout_s = timeout_s
        self._clients: dict[asyncio.AbstractEventLoop, tuple[openai.AsyncOpenAI, _Keeper]] = {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model={self.model!r}, base_url={self._base_url!r})"

    async def _client(self) -> openai.AsyncOpenAI:
        # One client per event loop: its pooled connections belong to the loop that opened
        # them (reused from the next asyncio.run() they fail with "Event loop is closed"), and
        # building a client costs ~25 ms of CA loading, so it is reused within a loop.
        loop = asyncio.get_running_loop()
        for old in [lp for lp in self._clients if lp.is_closed()]:
            del self._clients[old]
        if loop not in self._clients:
            client = openai.AsyncOpenAI(
                api_key=self._key.get_secret_value(),
                base_url=self._base_url,  # None: the SDK reads OPENAI_BASE_URL, else api.openai.com
                timeout=self._timeout_s,
                max_retries=0,  # retries belong to the orchestrator (tenacity), not the SDK
            )
            keeper = _close_with_loop(client)
            self._clients[loop] = (client, keeper)
            await anext(keeper)
        return self._clients[loop][0]

    async def aclose(self) -> None:
        """Close this event loop's client now (otherwise it closes when asyncio.run ends)."""
        entry = self._clients.pop(asyncio.get_running_loop(), None)
        if entry is not None:
            await entry[1].aclose()

    async def _guarded(self, call: Awaitable[T]) -> T:
        """Await an SDK call; every failure leaves as one of our ProviderErrors."""
        try:
            return await call
        except openai.OpenAIError as exc:
            failure = translate_error(exc, self._key)
        except ValueError:  # a 200 whose body is not JSON (json.JSONDecodeError)
            failure = ProviderUnavailable("malformed response from OpenAI (not JSON)", status=200)
        # Raised outside the except block so the SDK exception, which holds the request and its
        # Authorization header, is not chained onto ours as __context__.
        raise failure


def _decode_image(b64: str) -> Image.Image:
    """Base64 PNG/JPEG/WebP → fully decoded RGB; ValueError/OSError when it is not an image."""
    raw = base64.b64decode(b64, validate=True)
    with Image.open(io.BytesIO(raw), formats=("PNG", "JPEG", "WEBP")) as im:
        if max(im.size) > MAX_SIDE:
            raise ValueError(f"image of {im.size} exceeds {MAX_SIDE} px")
        im.load()
        return im.convert("RGB")


class OpenAIImageProvider(_OpenAIBase):
    """Images from OpenAI's Images API (gpt-image-* or dall-e-3) at the model's native size.

    The image has the native size nearest the request's aspect ratio (e.g. 1536x1024 for a
    1920x1080 request), not the request's exact size: later stages crop to each format.
    OpenAI has no seed parameter: results are not reproducible and the request's seed is
    reported back only so caches and manifests stay keyed consistently. A packshot in the
    request is not used (the generations endpoint takes text only).
    """

    def __init__(
        self,
        api_key: SecretStr,
        *,
        model: str = "gpt-image-1",
        quality: str = "medium",
        base_url: str | None = None,
        timeout_s: float = 120.0,
    ) -> None:
        super().__init__(api_key, model=model, base_url=base_url, timeout_s=timeout_s)
        self.family = model_family(model)
        self.quality = (
            _DALLE3_QUALITY.get(quality, quality) if self.family == "dall-e-3" else quality
        )
        for size in NATIVE_SIZES[self.family]:  # an unpriced model/quality fails now, not later
            price("openai", model, size=size, quality=self.quality)

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        started = time.perf_counter()
        size = native_size(request.width, request.height, self.family)
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
                output_format="png", background="opaque",
            )  # fmt: skip
        response = await self._guarded(call)
        b64 = _first_b64(response)
        try:
            if b64 is None:
                raise ValueError("no b64_json image in the response")
            image = await asyncio.to_thread(_decode_image, b64)
        except (binascii.Error, *_DECODE_ERRORS) as exc:
            reason = type(exc).__name__
            raise ProviderUnavailable(
                f"malformed response from OpenAI ({reason})", status=200
            ) from None
        return GenerationResult(
            image=image,
            provider=self.name,
            model=self.model,
            seed=request.seed,
            cost_usd=price("openai", self.model, size=size, quality=self.quality),
            latency_s=time.perf_counter() - started,
            subject_box=None,
            prompt=request.prompt,
        )


def _first_b64(response: object) -> str | None:
    # The SDK does not validate bodies: a non-JSON content type arrives as str, a wrong shape as
    # a model with missing or mistyped fields.
    data = getattr(response, "data", None) if isinstance(response, ImagesResponse) else None
    first = data[0] if isinstance(data, list) and data else None
    b64 = getattr(first, "b64_json", None)
    return b64 if isinstance(b64, str) and b64 else None


def unquote(text: str) -> str:
    """Whitespace and wrapping quote marks removed (models often quote a translation)."""
    text = text.strip()
    while len(text) >= 2 and text[0] in _QUOTES and text[-1] in _QUOTES:
        text = text[1:-1].strip()
    return text


class OpenAITextProvider(_OpenAIBase):
    """Short ad text from OpenAI chat completions at temperature 0 (a TextProvider)."""

    def __init__(
        self,
        api_key: SecretStr,
        *,
        model: str = "gpt-4.1-mini",
        base_url: str | None = None,
        timeout_s: float = 60.0,
    ) -> None:
        super().__init__(api_key, model=model, base_url=base_url, timeout_s=timeout_s)

    async def translate(
        self, text: str, *, source_locale: str, target_locale: str, context: str = ""
    ) -> str:
        extra = f"\nAbout the campaign: {context}" if context else ""
        system = (
            template("translate_system.txt")
            .strip()
            .format(source=source_locale, target=target_locale, context=extra)
        )
        return await self._complete(system, text)

    async def alt_text(self, *, product: str, message: str, locale: str) -> str:
        user = f"Product: {product}\nAd message: {message}"
        return await self._complete(
            template("alt_text_system.txt").strip().format(locale=locale), user
        )

    async def _complete(self, system: str, user: str) -> str:
        messages: list[ChatCompletionMessageParam] = [
            {"role": "system", "content": system},
            {"role": "user", "content": user},
        ]
        call = (await self._client()).chat.completions.create(
            model=self.model, messages=messages, temperature=0
        )
        completion = await self._guarded(call)
        choices = getattr(completion, "choices", None)
        if (
            not isinstance(completion, ChatCompletion)
            or not isinstance(choices, list)
            or not choices
        ):
            raise ProviderUnavailable("malformed response from OpenAI (no choices)", status=200)
        finish, message = (getattr(choices[0], name, None) for name in ("finish_reason", "message"))
        if finish == "content_filter" or getattr(message, "refusal", None):
            raise ContentRejected("OpenAI refused to write this text (content policy)")
        if finish == "length":  # never pass on cut-off copy
            raise ProviderFailed("OpenAI's answer was cut off at the token limit", status=200)
        content = getattr(message, "content", None)
        text = unquote(content) if isinstance(content, str) else ""
        if not text:
            raise ProviderUnavailable("OpenAI returned an empty answer", status=200)
        return text


__all__ = [
    "NATIVE_SIZES",
    "OpenAIImageProvider",
    "OpenAITextProvider",
    "TextProvider",
    "model_family",
    "native_size",
    "parse_retry_after",
    "translate_error",
    "unquote",
]
