"""Adobe Firefly Services v3 sync generate with a cached IMS token, over httpx (providers.md §3)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

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
from creative_automation.providers.base import GenerationRequest, GenerationResult
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

LABEL = "firefly"
# §3.1: the scope set of Adobe's SDK examples (the docs add session/additional_info).
IMS_SCOPE = "openid,AdobeID,read_organizations,firefly_api,ff_apis"
# Refresh this long before IMS says the token expires (tokens last ~24 h), or after half the
# lifetime when a token is issued for less than twice this.
TOKEN_MARGIN_S = 300.0
PROMPT_MAX_CHARS = 1024  # §3.3
# Seeds are int32 in Adobe's SDK OpenAPI (FFApiOpenApi3.json, `format: int32`).
SEED_MODULUS = 2**31
# §3.3: the sizes each model family accepts.
SIZES: dict[str, tuple[tuple[int, int], ...]] = {
    "image3": (
        (2048, 2048),
        (1024, 1024),
        (2304, 1792),
        (1792, 2304),
        (2688, 1536),
        (2688, 1512),
        (1344, 768),
        (1344, 756),
        (1152, 896),
        (896, 1152),
    ),
    "image4": ((2048, 2048), (2304, 1792), (1792, 2304), (2688, 1536), (1440, 2560)),
}
# §3.8: 422 error codes that mean content policy refused the request.
UNSAFE_CODES = frozenset({"prompt_unsafe", "input_media_unsafe", "output_media_unsafe"})


def size_for(model: str, width: int, height: int) -> tuple[int, int]:
    """The model's documented size nearest the request's aspect; among equally near ones the
    smallest that covers the request (no upscaling), else the largest."""
    sizes = SIZES["image4" if model.startswith("image4") else "image3"]

    def rank(size: tuple[int, int]) -> tuple[float, bool, int]:
        covers = size[0] >= width and size[1] >= height
        area = size[0] * size[1]
        # rounded so 2688x1512 and 1344x756 (both exactly 16:9) tie despite float noise
        return (
            round(aspect_distance(width, height, *size), 6),
            not covers,
            area if covers else -area,
        )

    return min(sizes, key=rank)


@dataclass(frozen=True)
class _Token:
    value: SecretStr
    refresh_at: float  # time.monotonic() after which a new token is fetched


class FireflyImageProvider:
    """Text-to-image through Adobe Firefly Services; errors are translated into ours."""

    name = "firefly"

    def __init__(
        self,
        client_id: SecretStr,
        client_secret: SecretStr,
        *,
        model: str = "image4_standard",
        base_url: str = "https://firefly-api.adobe.io",
        ims_url: str = "https://ims-na1.adobelogin.com",
        timeout_s: float = 120.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        if model.endswith("_custom"):
            raise ConfigError(f"Firefly model {model!r} needs a customModelId, not supported")
        self._client_id = client_id
        self._client_secret = client_secret
        self.model = model
        self._cost_usd = price("firefly", model)  # an unknown or unpriced model fails at start-up
        self._generate_url = f"{base_url.rstrip('/')}/v3/images/generate"
        self._token_url = f"{ims_url.rstrip('/')}/ims/token/v3"
        self._timeout_s = timeout_s
        self._client = ClientSlot(timeout_s, client)
        self._token: _Token | None = None
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        return f"FireflyImageProvider(model={self.model!r}, url={self._generate_url!r})"

    async def aclose(self) -> None:
        await self._client.aclose()

    def request_body(self, request: GenerationRequest) -> dict[str, Any]:
        """The JSON body sent for `request` (§3.3)."""
        width, height = size_for(self.model, request.width, request.height)
        return {
            "prompt": request.prompt,
            "negativePrompt": request.negative_prompt or negative_prompt(),
            "numVariations": 1,
            "seeds": [request.seed % SEED_MODULUS],
            "size": {"width": width, "height": height},
            "contentClass": "photo",
        }

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        """One image: the generate call and the image download, plus an IMS call when the token
        is missing or stale; a 401 refreshes the token and retries once, nothing else retries."""
        if request.packshot is not None:
            # Text-to-image cannot stage the real product; an invented one would misrepresent it.
            raise ProviderFailed(f"{LABEL}: cannot stage a packshot cut-out (text-to-image only)")
        if len(request.prompt) > PROMPT_MAX_CHARS:
            raise ProviderFailed(
                f"{LABEL}: prompt is {len(request.prompt)} characters, the API takes at most "
                f"{PROMPT_MAX_CHARS}"
            )
        started = time.perf_counter()
        body = self.request_body(request)
        token = await self._access_token()
        reply = await self._post_generate(body, token)
        if reply.status == 401:
            # IMS tokens can be revoked or expire before `expires_in` says: one fresh try.
            token = await self._access_token(stale=token)
            reply = await self._post_generate(body, token)
        if reply.status != 200:
            raise self._error(reply, token)
        url, seed = self._output(reply, default_seed=body["seeds"][0])
        image_reply = await send(
            self._client.get(), LABEL, "GET", url, timeout_s=self._timeout_s
        )  # pre-signed: no auth headers, the token must not travel to the storage host
        if image_reply.status != 200:
            raise ProviderUnavailable(
                f"{LABEL}: image download failed with HTTP {image_reply.status}",
                status=image_reply.status,
            )
        image = await asyncio.to_thread(
            decode_image, image_reply.body, LABEL, (request.width, request.height)
        )
        return GenerationResult(
            image=image,
            provider=self.name,
            model=self.model,
            seed=seed,
            cost_usd=self._cost_usd,
            latency_s=time.perf_counter() - started,
            subject_box=None,
            prompt=request.prompt,
        )

    async def _post_generate(self, body: dict[str, Any], token: SecretStr) -> Reply:
        return await send(
            self._client.get(),
            LABEL,
            "POST",
            self._generate_url,
            timeout_s=self._timeout_s,
            json=body,
            headers={
                "authorization": f"Bearer {token.get_secret_value()}",
                "x-api-key": self._client_id.get_secret_value(),
                "content-type": "application/json",
                # [UNCONFIRMED] §3.2 documents x-model-version on the async generate endpoint;
                # whether the sync one honours it is not pinned down. Sent as documented.
                "x-model-version": self.model,
            },
        )

    def _output(self, reply: Reply, *, default_seed: int) -> tuple[str, int]:
        """The image URL and seed of the first output (§3.4), or ProviderUnavailable."""
        body = reply.json_object() or {}
        outputs = body.get("outputs")
        first = outputs[0] if isinstance(outputs, list) and outputs else None
        image = first.get("image") if isinstance(first, dict) else None
        # v3 names it `url`; the older SDK schema (FFApiOpenApi3.json) called it `presignedUrl`.
        url = (image.get("url") or image.get("presignedUrl")) if isinstance(image, dict) else None
        if not isinstance(url, str) or httpx.URL(url).scheme not in ("http", "https"):
            raise ProviderUnavailable(
                f"{LABEL}: malformed response: no outputs[0].image.url in the generate reply",
                status=reply.status,
            )
        seed = first.get("seed") if isinstance(first, dict) else None
        return url, seed if isinstance(seed, int) and not isinstance(seed, bool) else default_seed

    def _error(self, reply: Reply, token: SecretStr) -> ProviderError:
        body = reply.json_object() or {}
        code = body.get("error_code")
        parts = [str(code)] if code else []
        if body.get("message"):
            parts.append(str(body["message"]))
        problems = body.get("validation_errors")
        if isinstance(problems, list):
            parts += [str(p.get("msg")) for p in problems if isinstance(p, dict) and p.get("msg")]
        access = reply.headers.get("x-access-error")
        if access:
            parts.append(f"x-access-error {access}")
        if not body and reply.content_type != "text/html":  # 413 sends an HTML page
            parts.append(reply.body.decode("utf-8", "replace"))
        detail = scrub(": ".join(parts), (self._client_id, self._client_secret, token))
        if code in UNSAFE_CODES or reply.status == 451:
            # 451 "Unavailable For Legal Reasons" is Adobe's refusal of unsafe reference media.
            return ContentRejected(f"{LABEL}: HTTP {reply.status}: {detail}")
        if reply.status == 401:
            return ProviderFailed(
                f"{LABEL}: HTTP 401 even with a fresh access token: {detail}", status=401
            )
        return status_error(LABEL, reply, detail)

    def _token_lock(self) -> asyncio.Lock:
        # An asyncio.Lock belongs to one event loop; a new asyncio.run needs a new lock.
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock_loop is not loop:
            self._lock, self._lock_loop = asyncio.Lock(), loop
        return self._lock

    async def _access_token(self, *, stale: SecretStr | None = None) -> SecretStr:
        """A valid IMS token: the cached one unless it is near expiry or is `stale` (rejected by
        Firefly); concurrent callers share one refresh."""
        async with self._token_lock():
            token = self._token
            if (
                token is not None
                and time.monotonic() < token.refresh_at
                and (stale is None or token.value.get_secret_value() != stale.get_secret_value())
            ):
                return token.value
            self._token = await self._fetch_token()
            return self._token.value

    async def _fetch_token(self) -> _Token:
        secrets = (self._client_id, self._client_secret)
        reply = await send(
            self._client.get(),
            f"{LABEL} IMS",
            "POST",
            self._token_url,
            timeout_s=self._timeout_s,
            data={
                "grant_type": "client_credentials",
                "client_id": self._client_id.get_secret_value(),
                "client_secret": self._client_secret.get_secret_value(),
                "scope": IMS_SCOPE,
            },
        )
        body = reply.json_object() or {}
        if reply.status in (400, 401, 403):
            code = body.get("error")
            detail = scrub(str(code), secrets) if isinstance(code, str) else ""
            raise ProviderFailed(
                "Firefly credentials rejected" + (f" ({detail})" if detail else ""),
                status=reply.status,
            )
        if reply.status != 200:
            raise status_error(f"{LABEL} IMS", reply, scrub(str(body.get("error", "")), secrets))
        value, expires_in = body.get("access_token"), body.get("expires_in")
        if not isinstance(value, str) or not value or not isinstance(expires_in, int | float):
            raise ProviderUnavailable(
                f"{LABEL} IMS: malformed token response (no access_token/expires_in)", status=200
            )
        margin = min(TOKEN_MARGIN_S, max(0.0, float(expires_in)) / 2)
        return _Token(SecretStr(value), time.monotonic() + float(expires_in) - margin)


__all__ = ["IMS_SCOPE", "SIZES", "FireflyImageProvider", "size_for"]
