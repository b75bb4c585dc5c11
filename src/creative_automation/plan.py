"""Brief → the list of creatives to make: every product × format × locale."""

from __future__ import annotations

from dataclasses import dataclass

from .brief import Brief, Product
from .errors import BriefError, Problem
from .formats import Format, resolve_format


@dataclass(frozen=True)
class CreativeSpec:
    """One output image: a product in one format and one locale, with its copy."""

    product: Product
    format: Format
    locale: str
    message: str
    call_to_action: str | None
    machine_translated: bool = False  # its copy came from the text provider, not the brief
    disclaimer: str | None = None  # the brief's small print for this locale

    @property
    def key(self) -> tuple[str, str, str]:
        """(product id, aspect ratio, locale): how the manifest and checkpoints name it."""
        return (self.product.id, self.format.ratio, self.locale)

    def relpath(self, ext: str) -> str:
        """Path relative to the campaign folder; unique per product × format × locale."""
        return f"{self.product.id}/{self.format.folder}/{self.locale}.{ext}"


def make_plan(brief: Brief, translated: frozenset[str] = frozenset()) -> list[CreativeSpec]:
    """Ordered product → format → locale so each background is composed once per locale group."""
    formats = [resolve_format(f) for f in brief.formats]
    specs: list[CreativeSpec] = []
    for product in brief.products:
        for fmt in formats:
            for locale in brief.locale_tags:
                copy = brief.copy_for(locale)
                if copy.message is None:  # localize.fill_missing_copy runs before planning
                    raise BriefError("brief", [Problem(f"locales.{locale}.message", "missing")])
                specs.append(
                    CreativeSpec(
                        product,
                        fmt,
                        locale,
                        copy.message,
                        copy.call_to_action,
                        machine_translated=locale in translated,
                        disclaimer=copy.disclaimer,
                    )
                )
    return specs
