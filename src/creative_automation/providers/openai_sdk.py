"""The official OpenAI SDK at our boundary: one async client per event loop, errors translated."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncGenerator, Awaitable
from typing import TypeVar

import openai
from pydantic import SecretStr

from creative_automation.errors import (
    ConfigError,
    ContentRejected,
    ProviderError,
    ProviderFailed,
    ProviderUnavailable,
)
from creative_automation.providers.http import retry_after, scrub, tls_context

_CONTENT_POLICY_CODES = {"content_policy_violation", "moderation_blocked"}
_KEY_LIKE = re.compile(r"sk-[A-Za-z0-9_\-*.]{4,}")  # server messages quote (masked) keys
T = TypeVar("T")


def _scrub(text: str, key: SecretStr) -> str:
    # the shared scrubber, after masking what OpenAI's messages quote of other (masked) keys
    return scrub(_KEY_LIKE.sub("sk-[redacted]", text), (key,))


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
        wait = retry_after(exc.response.headers)
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


class OpenAIBase:
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
        # building one costs ~30 ms without the shared TLS context, so it is reused within a loop.
        loop = asyncio.get_running_loop()
        for old in [lp for lp in self._clients if lp.is_closed()]:
            del self._clients[old]
        if loop not in self._clients:
            client = openai.AsyncOpenAI(
                api_key=self._key.get_secret_value(),
                base_url=self._base_url,  # None: the SDK reads OPENAI_BASE_URL, else api.openai.com
                timeout=self._timeout_s,
                max_retries=0,  # retries belong to the orchestrator (tenacity), not the SDK
                # the SDK's own transport settings, with the process's one TLS context
                http_client=openai.DefaultAsyncHttpxClient(verify=tls_context()),
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


__all__ = ["OpenAIBase", "translate_error"]
