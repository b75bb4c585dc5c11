"""The brand kit: logo variants and their rules, palette roles, fonts, tone, legal tables.

A brief embeds it under `brand:` or names a kit file (`brand: kits/aurora.yaml`, beside the
brief), validated with the same readable errors. Legal tables (prohibited words and claims,
required disclaimers) are keyed by where they apply: "*" everywhere, a language ("es"), a
market ("MX") or a whole locale ("es-MX"); a plain list applies everywhere. `locales:` overrides
the kit for a language, market or locale (the most specific key wins; legal lists add up).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, field_validator

from .compliance.legal import terms_for
from .fields import AssetName, HexColour, Strict, Text

Role = Literal["primary", "accent", "text", "background", "extra"]
_POSITIONAL: tuple[Role, ...] = ("primary", "accent")  # a plain list: primary first, then accent
MarketTable = dict[str, list[Text]]
_TABLE_KEY = r"^(\*|[A-Za-z]{2,3}|[a-z]{2,3}(-[A-Z][a-z]{3})?(-[A-Z]{2}|-\d{3})?)$"


class PaletteColour(Strict):
    hex: HexColour
    role: Role = "extra"


def _palette_kind(value: Any) -> str:
    return "{hex, role}" if isinstance(value, dict | PaletteColour) else "#hex"


# a tagged union: a bad entry is reported against the form it was written in, not both
PaletteEntry = Annotated[
    Annotated[HexColour, Tag("#hex")] | Annotated[PaletteColour, Tag("{hex, role}")],
    Discriminator(_palette_kind),
]
PALETTE_TAGS = ("#hex", "{hex, role}")  # union frames an error path leaves out


def _table_keys(value: dict[str, Any]) -> dict[str, Any]:
    for key in value:
        if not re.fullmatch(_TABLE_KEY, key):
            raise ValueError(
                f"{key!r} is not a place: use '*', a language ('es'), a market ('MX') or a "
                "locale ('es-MX')"
            )
    return value


class BrandOverride(Strict):
    """What a language, market or locale changes in the kit (anything left out is kept)."""

    logo: AssetName | None = None
    logo_on_dark: AssetName | None = None
    palette: list[PaletteEntry] | None = Field(None, max_length=12)
    fonts: list[AssetName] | None = None
    tone: list[Text] | None = None
    prohibited_words: list[Text] = Field(default_factory=list, description="Added to the kit's.")
    prohibited_claims: list[Text] = Field(default_factory=list, description="Added to the kit's.")
    disclaimers: list[Text] = Field(default_factory=list, description="Added to the kit's.")


class Brand(Strict):
    """A brand kit (all but `name` optional: a brief may give only what it has)."""

    name: Text = Field(max_length=80)
    logo: AssetName | None = Field(None, description="Logo for light backgrounds (asset folder).")
    logo_on_dark: AssetName | None = Field(
        None,
        description="Logo for dark backgrounds; if absent, derived from `logo` with its dark "
        "ink turned white.",
    )
    logo_min_width_px: int | None = Field(
        None, ge=16, le=2000, description="Smallest logo width allowed on a 1080-wide canvas."
    )
    logo_clear_space: float = Field(
        0.5, ge=0.0, le=3.0, description="Clear space around the logo, × the logo's height."
    )
    palette: list[PaletteEntry] = Field(
        default_factory=list,
        max_length=12,
        description="Brand colours: '#hex' (primary first, the second is the accent of the CTA "
        "button) or {hex, role} with role primary, accent, text, background or extra.",
    )
    fonts: list[AssetName] = Field(
        default_factory=list,
        description="Brand font files (asset folder), used for scripts they cover; "
        "bundled Noto fonts cover the rest.",
    )
    tone: list[Text] = Field(default_factory=list, description="Tone words for generated copy.")
    prohibited_words: MarketTable = Field(
        default_factory=dict, description="Words never shown: a list, or per place."
    )
    prohibited_claims: MarketTable = Field(
        default_factory=dict, description="Claims never made ('clinically proven'), per place."
    )
    disclaimers: MarketTable = Field(
        default_factory=dict, description="Disclaimers every creative must carry, per place."
    )
    locales: dict[str, BrandOverride] = Field(
        default_factory=dict, description="Overrides per language, market or locale."
    )

    @field_validator("prohibited_words", "prohibited_claims", "disclaimers", mode="before")
    @classmethod
    def _as_table(cls, value: Any) -> Any:
        """A plain list applies everywhere: the same as {"*": [...]}."""
        return {"*": value} if isinstance(value, list) else value

    @field_validator("prohibited_words", "prohibited_claims", "disclaimers", "locales")
    @classmethod
    def _places(cls, value: dict[str, Any]) -> dict[str, Any]:
        return _table_keys(value)

    # -- resolved views -------------------------------------------------------------------

    @property
    def colours(self) -> list[PaletteColour]:
        """Every palette colour with its role (a plain '#hex' by its position)."""
        out = []
        for i, entry in enumerate(self.palette):
            if isinstance(entry, PaletteColour):
                out.append(entry)
            else:
                out.append(PaletteColour(hex=entry, role=_POSITIONAL[i] if i < 2 else "extra"))
        return out

    @property
    def hexes(self) -> list[str]:
        """The palette as hex strings, in order."""
        return [c.hex for c in self.colours]

    def colour(self, role: Role) -> str | None:
        return next((c.hex for c in self.colours if c.role == role), None)

    def for_locale(self, locale: str) -> Brand:
        """The kit as it applies to one locale: overrides applied, least specific first."""
        keys = [k for k in self.locales if terms_for({k: [k]}, locale)]
        keys.sort(key=lambda k: (k.count("-"), k.isupper()))  # language < market < locale
        kit = self
        for key in keys:
            o = self.locales[key]
            changes = {
                name: getattr(o, name)
                for name in ("logo", "logo_on_dark", "palette", "fonts", "tone")
                if getattr(o, name) is not None
            }
            for name in ("prohibited_words", "prohibited_claims", "disclaimers"):
                extra = getattr(o, name)
                if extra:
                    table = dict(getattr(kit, name))
                    table[locale] = [*table.get(locale, []), *extra]
                    changes[name] = table
            kit = kit.model_copy(update=changes)
        return kit.model_copy(update={"locales": {}}) if keys else kit

    def prohibited(self, locale: str) -> list[str]:
        """Prohibited words and claims that apply to a locale."""
        kit = self.for_locale(locale)
        words = terms_for(kit.prohibited_words, locale)
        return list(dict.fromkeys(words + terms_for(kit.prohibited_claims, locale)))

    def required_disclaimers(self, locale: str) -> list[str]:
        return terms_for(self.for_locale(locale).disclaimers, locale)

    def files(self) -> list[tuple[str, str, Literal["image", "font"]]]:
        """(field path, file name, kind) of every file the kit names, overrides included."""
        out: list[tuple[str, str, Literal["image", "font"]]] = []
        places: list[tuple[str, Brand | BrandOverride]] = [("brand", self)]
        places += [(f"brand.locales.{k}", o) for k, o in self.locales.items()]
        for where, kit in places:
            for name in ("logo", "logo_on_dark"):
                if getattr(kit, name):
                    out.append((f"{where}.{name}", getattr(kit, name), "image"))
            out += [(f"{where}.fonts[{i}]", f, "font") for i, f in enumerate(kit.fonts or [])]
        return out

    def logo_files(self) -> list[str]:
        return list(dict.fromkeys(n for _, n, kind in self.files() if kind == "image"))

    def font_files(self) -> list[str]:
        return list(dict.fromkeys(n for _, n, kind in self.files() if kind == "font"))


__all__ = ["Brand", "BrandOverride", "PaletteColour", "Role"]
