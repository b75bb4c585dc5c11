"""httpx plumbing shared by the REST image providers: sending, status → error, Retry-After."""

from __future__ import annotations

import asyncio
import json
import math
import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import cache
from typing import Any

import httpx
from pydantic import SecretStr

from creative_automation.errors import ProviderError, ProviderFailed, ProviderUnavailable

# A generated image is a few MB; anything far larger is a broken or hostile response.
MAX_BODY_BYTES = 64 * 1024 * 1024
# Statuses below 500 that still mean "try again later".
_TRANSIENT_4XX = frozenset({408, 425, 429})
_DETAIL_CHARS = 300


@dataclass(frozen=True)
class Reply:
    """A fully read HTTP response (status, headers, body), detached from the connection."""

    status: int
    headers: httpx.Headers
    body: bytes

    def json_object(self) -> dict[str, Any] | None:
        """The body as a JSON object, or None if it is not one."""
        try:
            data = json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            return None
        return data if isinstance(data, dict) else None

    @property
    def content_type(self) -> str:
        value: str = self.headers.get("content-type", "")
        return value.split(";")[0].strip().lower()


@cache
def tls_context() -> ssl.SSLContext:
    """One TLS context (the CA bundle loaded once, ~30 ms) for every client of the process: a
    campaign's event loop needs new clients, not a new CA bundle; SSLContext is thread-safe."""
    return httpx.create_ssl_context()


class ClientSlot:
    """One httpx.AsyncClient per provider instance, created lazily with the provider's timeout.

    httpx pools connections on the event loop that opened them, so a client left over from a
    finished `asyncio.run` (one per campaign in the CLI) is replaced rather than reused. A client
    passed in by the caller is always used as is and never closed here.
    """

    def __init__(self, timeout_s: float, client: httpx.AsyncClient | None) -> None:
        self._timeout_s = timeout_s
        self._given = client
        self._own: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def get(self) -> httpx.AsyncClient:
        if self._given is not None:
            return self._given
        loop = asyncio.get_running_loop()
        if self._own is None or self._own.is_closed or self._loop is not loop:
            self._own = httpx.AsyncClient(
                timeout=httpx.Timeout(self._timeout_s), verify=tls_context()
            )
            self._loop = loop
        return self._own

    async def aclose(self) -> None:
        own, self._own = self._own, None
        # A client from another (finished) loop cannot be closed from this one; its sockets were
        # already torn down with that loop.
        if own is not None and self._loop is asyncio.get_running_loop():
            await own.aclose()


async def send(
    client: httpx.AsyncClient, label: str, method: str, url: str, *, timeout_s: float, **kwargs: Any
) -> Reply:
    """Send one request and read the whole body; transport failures become ProviderUnavailable.

    `timeout_s` bounds the whole exchange: httpx's own timeout applies per socket operation, so
    a server trickling bytes could otherwise hold a call for far longer.
    """
    request = client.build_request(method, url, **kwargs)
    try:
        async with asyncio.timeout(timeout_s):
            response = await client.send(request, stream=True)
            try:
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_BODY_BYTES:
                        raise ProviderUnavailable(
                            f"{label}: response body larger than {MAX_BODY_BYTES} bytes",
                            status=response.status_code,
                        )
            finally:
                await response.aclose()
    except (TimeoutError, httpx.TimeoutException) as exc:
        raise ProviderUnavailable(f"{label}: no response within {timeout_s:g} s") from exc
    except httpx.RequestError as exc:
        # Only the exception type: its text can carry the full URL (a pre-signed download link).
        raise ProviderUnavailable(f"{label}: request failed ({type(exc).__name__})") from exc
    return Reply(response.status_code, response.headers, bytes(body))


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or an HTTP date), or None."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from `retry-after-ms` (milliseconds, OpenAI's) or else `retry-after`."""
    value = headers.get("retry-after-ms")
    if value is not None:
        try:
            ms = float(value)
        except ValueError:
            ms = math.nan
        if math.isfinite(ms):
            return max(0.0, ms / 1000)
    return parse_retry_after(headers.get("retry-after"))


def scrub(text: str, secrets: tuple[SecretStr, ...]) -> str:
    """Provider text made safe for an error message: secrets blanked, then one short line.

    Secrets are removed before clipping so that a cut can never leave part of one behind.
    """
    for secret in secrets:
        value = secret.get_secret_value()
        if value:
            text = text.replace(value, "[redacted]")
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= _DETAIL_CHARS else text[: _DETAIL_CHARS - 1] + "…"


def status_error(label: str, reply: Reply, detail: str) -> ProviderError:
    """The error for a non-success status that no provider-specific rule claimed.

    429, 408, 425 and 5xx (except 501 Not Implemented) are transient and carry Retry-After;
    every other status is a permanent failure of this provider for this request.
    """
    status = reply.status
    message = f"{label}: HTTP {status}" + (f": {detail}" if detail else "")
    if status in _TRANSIENT_4XX or (status >= 500 and status != 501):
        retry_after = parse_retry_after(reply.headers.get("retry-after"))
        return ProviderUnavailable(message, retry_after=retry_after, status=status)
    return ProviderFailed(message, status=status)


def aspect_distance(width: int, height: int, other_width: int, other_height: int) -> float:
    """How far apart two aspect ratios are, on a log scale (so 2:1 and 1:2 are equally far
    from 1:1)."""
    return abs(math.log(width / height) - math.log(other_width / other_height))


__all__ = [
    "MAX_BODY_BYTES",
    "ClientSlot",
    "Reply",
    "aspect_distance",
    "parse_retry_after",
    "retry_after",
    "scrub",
    "send",
    "status_error",
    "tls_context",
]
