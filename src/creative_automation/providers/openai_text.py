"""OpenAI chat as the TextProvider (translations of ad copy, alt text) and a JSON writer."""

from __future__ import annotations

import json
from typing import Any

from openai import Omit, omit
from openai.types.chat import ChatCompletion, ChatCompletionMessageParam
from openai.types.chat.completion_create_params import ResponseFormat
from pydantic import SecretStr

from creative_automation.errors import ContentRejected, ProviderFailed, ProviderUnavailable
from creative_automation.prompts import template
from creative_automation.providers.openai_sdk import OpenAIBase

_QUOTES = "\"'“”„‘’‚«»‹›「」『』"


def unquote(text: str) -> str:
    """Whitespace and wrapping quote marks removed (models often quote a translation)."""
    text = text.strip()
    while len(text) >= 2 and text[0] in _QUOTES and text[-1] in _QUOTES:
        text = text[1:-1].strip()
    return text


class OpenAITextProvider(OpenAIBase):
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

    async def write_json(self, system: str, user: str) -> dict[str, Any]:
        """The model's answer as a JSON object (JSON mode); ProviderFailed if it is not one."""
        content = await self._chat(system, user, {"type": "json_object"})
        try:
            answer = json.loads(content)
        except ValueError:
            answer = None  # raised below, outside the except: no decoder error chained on
        if not isinstance(answer, dict):
            raise ProviderFailed("OpenAI's answer is not a JSON object", status=200)
        return answer

    async def _complete(self, system: str, user: str) -> str:
        text = unquote(await self._chat(system, user))
        if not text:  # an answer of only quote marks
            raise ProviderUnavailable("OpenAI returned an empty answer", status=200)
        return text

    async def _chat(
        self, system: str, user: str, response_format: ResponseFormat | Omit = omit
    ) -> str:
        """The first choice's text, after the checks every chat answer must pass."""
        messages: list[ChatCompletionMessageParam] = [
            {"role": "system", "content": system},
            {"role": "user", "content": user},
        ]
        call = (await self._client()).chat.completions.create(
            model=self.model, messages=messages, temperature=0, response_format=response_format
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
        text = content.strip() if isinstance(content, str) else ""
        if not text:
            raise ProviderUnavailable("OpenAI returned an empty answer", status=200)
        return text


__all__ = ["OpenAITextProvider", "unquote"]
