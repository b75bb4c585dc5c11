"""Locale copy the brief leaves out: machine-translated by the text provider, or a clear error."""

from __future__ import annotations

import asyncio

from .brief import Brief, LocaleCopy
from .errors import BriefError, Problem, ProviderError
from .providers.base import TextProvider


async def _fill(brief: Brief, provider: TextProvider) -> Brief:
    missing = brief.missing_copy()
    context = f"{brief.campaign_name}; audience: {brief.audience}"
    if brief.brand and brief.brand.tone:  # the kit's tone words steer the translation's register
        context += f"; brand tone: {', '.join(brief.brand.tone)}"
    base = {"message": brief.message, "call_to_action": brief.call_to_action or ""}
    texts = await asyncio.gather(
        *(
            provider.translate(
                base[field], source_locale=brief.language, target_locale=tag, context=context
            )
            for _, tag, field in missing
        )
    )
    locales = dict(brief.locales)
    for (_, tag, field), text in zip(missing, texts, strict=True):
        locales[tag] = locales[tag].model_copy(update={field: text})
    return brief.model_copy(update={"locales": locales})


def fill_missing_copy(
    brief: Brief, provider: TextProvider | None, source: str = "brief"
) -> tuple[Brief, frozenset[str]]:
    """The brief with every locale's copy present, and the locales that were machine-translated.

    Without a text provider a missing message is a BriefError naming each field: the creative
    must never silently go out in the wrong language.
    """
    missing = brief.missing_copy()
    if not missing:
        return brief, frozenset()
    if provider is None:
        raise BriefError(
            source,
            [
                Problem(path, "missing, and no text provider is set to translate it "
                        "(set OPENAI_API_KEY, or write the copy in the brief)")
                for path, _, _ in missing
            ],
        )  # fmt: skip
    filled = asyncio.run(_fill(brief, provider))
    return filled, frozenset(tag for _, tag, _ in missing)


__all__ = ["LocaleCopy", "alt_texts", "fill_missing_copy"]


async def _alt_texts(brief: Brief, provider: TextProvider) -> dict[tuple[str, str], str]:
    keys = [(p.id, tag) for p in brief.products for tag in brief.locale_tags]
    names = {p.id: p.name for p in brief.products}
    texts = await asyncio.gather(
        *(
            provider.alt_text(
                product=names[pid], message=brief.copy_for(tag).message or "", locale=tag
            )
            for pid, tag in keys
        )
    )
    return dict(zip(keys, texts, strict=True))


AltTexts = dict[tuple[str, str], str]


def alt_texts(brief: Brief, provider: TextProvider | None) -> tuple[AltTexts, str]:
    """Alt text per (product, locale) and who wrote it: the text provider, or (without one,
    or when it fails) a plain description built from the brief, never called machine-written.
    """
    if provider is not None:
        try:
            return asyncio.run(_alt_texts(brief, provider)), provider.name
        except ProviderError as exc:
            return _from_brief(brief), f"brief ({provider.name} failed: {exc})"
    return _from_brief(brief), "brief"


def _from_brief(brief: Brief) -> AltTexts:
    return {
        (p.id, tag): f"{p.name}: {brief.copy_for(tag).message}"
        for p in brief.products
        for tag in brief.locale_tags
    }
