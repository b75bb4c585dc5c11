"""The campaign brief: one pydantic model, JSON/YAML loading, JSON Schema, readable errors."""

from __future__ import annotations

import difflib
import json
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from .brandkit import PALETTE_TAGS, Brand
from .errors import BriefError, Problem
from .fields import AssetName, LocaleTag, Slug, Strict, Text
from .formats import DEFAULT_FORMATS, FORMATS, resolve_format
from .providers.base import PackageShape


class Product(Strict):
    id: Slug
    name: Text = Field(max_length=80)
    description: str = Field("", max_length=1000)
    assets: list[AssetName] = Field(
        default_factory=list,
        description="Image files in the asset folder; the first one that exists is the hero. "
        "An image with transparency is a cut-out packshot, staged in a generated scene.",
    )
    package: PackageShape | None = Field(None, description="Package shape hint for generation.")


class LocaleCopy(Strict):
    message: Text | None = Field(
        None, max_length=200, description="Absent: machine-translated when a text provider is set."
    )
    call_to_action: Text | None = Field(None, max_length=40)
    disclaimer: Text | None = Field(
        None,
        max_length=300,
        description="Small print for this locale (the kit's required "
        "disclaimers are added to it where missing).",
    )


class Brief(Strict):
    """A campaign: products × locales × formats."""

    campaign_id: Slug
    campaign_name: Text = Field(max_length=120)
    region: Text | None = Field(None, description="Target region (e.g. 'EMEA').")
    markets: list[Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]] = Field(
        default_factory=list, description="ISO 3166-1 alpha-2 market codes."
    )
    audience: Text = Field(max_length=500)
    message: Text = Field(max_length=200, description="Campaign message in `language`.")
    call_to_action: Text | None = Field(None, max_length=40)
    disclaimer: Text | None = Field(
        None,
        max_length=300,
        description="Small print in `language` (never machine-translated: "
        "other languages give their own, or the kit's required disclaimers for the market).",
    )
    language: LocaleTag = Field("en", description="Language of `message` and `call_to_action`.")
    locales: dict[LocaleTag, LocaleCopy] = Field(
        default_factory=dict,
        description="Localized copy per locale (BCP 47, e.g. 'ar-AE'); default: `language` only.",
    )
    products: list[Product] = Field(min_length=1, max_length=50)
    brand: Brand | None = None
    formats: list[str] = Field(
        default_factory=lambda: list(DEFAULT_FORMATS),
        min_length=1,
        description=f"By name or ratio: {', '.join(f'{f.name} ({f.ratio})' for f in FORMATS)}.",
    )
    seed: int = Field(0, ge=0, description="Generation seed: the same seed gives the same pixels.")
    budget_usd: float | None = Field(
        None, ge=0, description="Most the campaign may spend on image generation (USD)."
    )
    due: date | datetime | None = Field(
        None,
        description="Launch date (or ISO date-time): the monitoring agent alerts when the "
        "campaign is not finished as it nears.",
    )
    min_variants: int = Field(
        3,
        ge=1,
        le=500,
        description="Fewest distinct creatives each product must end up with; the monitoring "
        "agent alerts below it.",
    )

    @field_validator("formats")
    @classmethod
    def _known_formats(cls, value: list[str]) -> list[str]:
        names = [resolve_format(v).name for v in value]  # raises ValueError naming the choices
        if len(set(names)) != len(names):
            raise ValueError("lists the same format twice")
        return value

    @model_validator(mode="after")
    def _cross_checks(self) -> Brief:
        problems = cross_problems(self.model_dump())
        if problems:
            raise ValueError("; ".join(str(p) for p in problems))
        return self

    def copy_for(self, locale: str) -> LocaleCopy:
        """The message and CTA for a locale (the base copy for the base language)."""
        if locale in self.locales:
            c = self.locales[locale]
            same = language_of(locale) == language_of(self.language)
            return LocaleCopy(
                message=c.message or (self.message if same else None),
                call_to_action=c.call_to_action or (self.call_to_action if same else None),
                disclaimer=c.disclaimer or (self.disclaimer if same else None),
            )
        return LocaleCopy(
            message=self.message, call_to_action=self.call_to_action, disclaimer=self.disclaimer
        )

    def missing_copy(self) -> list[tuple[str, str, str]]:
        """(field path, locale, field) of every locale copy the brief leaves to translation:
        a message in another language, or its CTA when the brief has one."""
        out = []
        for tag, copy in self.locales.items():
            resolved = self.copy_for(tag)
            if resolved.message is None:
                out.append((f"locales.{tag}.message", tag, "message"))
            if self.call_to_action and copy.call_to_action is None and not resolved.call_to_action:
                out.append((f"locales.{tag}.call_to_action", tag, "call_to_action"))
        return out

    @property
    def locale_tags(self) -> list[str]:
        return list(self.locales) or [self.language]


def language_of(tag: str) -> str:
    return tag.split("-")[0]


def cross_problems(data: dict[str, Any]) -> list[Problem]:
    """Checks across fields, on raw data so they are reported with the field errors at once."""
    out: list[Problem] = []
    if not data.get("region") and not data.get("markets"):
        out.append(Problem("region", "give a target `region` or a list of `markets`"))
    products = data.get("products")
    seen: set[str] = set()
    for i, p in enumerate(products if isinstance(products, list) else []):
        pid = p.get("id") if isinstance(p, dict) else None
        if isinstance(pid, str) and pid in seen:
            out.append(Problem(f"products[{i}].id", f"{pid!r} is used by another product"))
        if isinstance(pid, str):
            seen.add(pid)
    return out


def _field_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("function-after", "constrained-str", "[key]", *PALETTE_TAGS):  # frames
            continue
        else:
            out += f".{part}" if out else str(part)
    return out


def _known_fields(loc: tuple[int | str, ...], model: type[BaseModel]) -> list[str]:
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(str(part))
        if field is None:
            return []
        ann = field.annotation
        inner = [a for a in (*getattr(ann, "__args__", ()), ann) if isinstance(a, type)]
        sub = next((a for a in inner if issubclass(a, BaseModel)), None)
        if sub is None:
            # dict[str, LocaleCopy] / list[Product]: look one level into the arguments
            args = getattr(ann, "__args__", ())
            sub = next((a for a in args if isinstance(a, type) and issubclass(a, BaseModel)), None)
            if sub is None:
                return []
        model = sub
    return list(model.model_fields)


def _problems(exc: ValidationError, model: type[BaseModel] | None = None) -> list[Problem]:
    out: list[Problem] = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        path = _field_path(loc)
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            known = _known_fields(loc, model or Brief)
            guess = difflib.get_close_matches(str(loc[-1]), known, n=1)
            msg = "unknown field" + (f" (did you mean {guess[0]!r}?)" if guess else "")
        elif err["type"] == "missing":
            msg = "required field is missing"
        elif err["type"] == "string_pattern_mismatch":
            msg = f"{err['input']!r} is not valid here ({_pattern_hint(path)})"
        if not path and err["type"] == "value_error":
            continue  # cross-field checks: reported from cross_problems() on the raw data
        out.append(Problem(path, msg))
    return out


def _pattern_hint(path: str) -> str:
    if path.startswith("locales") or path.endswith("language"):
        return "a BCP 47 locale such as 'en-US', 'ar-AE', 'ja-JP', 'zh-Hans-CN'"
    if path.startswith("markets"):
        return "a two-letter ISO country code such as 'US'"
    return "use lower-case letters, digits, '-' and '_', starting with a letter or digit"


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML that refuses a key given twice (a second `message:` would silently win)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"duplicate key {key!r} (first given on line {seen[key]})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep)


def _unique_json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:  # one pass: a hostile object with many keys stays linear
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def parse_brief(data: Any, source: str = "brief") -> Brief:
    """Validate already-parsed data; raise BriefError listing every problem."""
    if not isinstance(data, dict):
        raise BriefError(source, [Problem("", "the brief must be a mapping of fields")])
    if isinstance(data.get("brand"), str):
        raise BriefError(
            source,
            [Problem("brand", f"names the brand kit file {data['brand']!r}, which is only read "
                     "beside a brief file (cap run brief.yaml) or uploaded with it as a file of "
                     "that name (multipart); embed the kit in the brief, or attach it")],
        )  # fmt: skip
    try:
        return Brief.model_validate(data)
    except ValidationError as exc:
        problems = _problems(exc)
        known = {p.path for p in problems}
        extra = [p for p in cross_problems(data) if p.path not in known]
        raise BriefError(source, problems + extra) from None


def _read(path: Path, what: str) -> tuple[str, BriefSyntax]:
    """A brief's or kit's text and syntax (by extension); a failure is a BriefError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BriefError(str(path), [Problem("", f"{what} not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BriefError(str(path), [Problem("", f"cannot read the file: {exc}")]) from None
    return text, "json" if path.suffix.lower() == ".json" else "yaml"


def load_brief(path: Path) -> Brief:
    """Read a JSON or YAML brief from disk; every failure is a BriefError."""
    text, syntax = _read(path, "file")
    data = decode_brief(text, str(path), syntax=syntax)
    if isinstance(data, dict) and isinstance(data.get("brand"), str):
        # a brand kit file beside the brief: its own errors name the kit file and its fields
        data = with_kit(data, load_brand_kit(path.parent / data["brand"]))
    return parse_brief(data, str(path))


def load_brand_kit(path: Path) -> Brand:
    """A brand kit file (YAML or JSON) on its own; every failure is a BriefError naming it."""
    text, syntax = _read(path, "brand kit file")
    return parse_brand_kit(text, str(path), syntax=syntax)


def parse_brand_kit(text: str, source: str, *, syntax: BriefSyntax = "yaml") -> Brand:
    """A brand kit's text (a file, or an uploaded part); errors name `source` and the field."""
    data = decode_brief(text, source, syntax=syntax)
    if not isinstance(data, dict):
        raise BriefError(source, [Problem("", "the brand kit must be a mapping of fields")])
    try:
        return Brand.model_validate(data)
    except ValidationError as exc:
        raise BriefError(source, _problems(exc, Brand)) from None


def with_kit(data: dict[str, Any], kit: Brand) -> dict[str, Any]:
    """Brief data with the kit it names embedded in its place."""
    return {**data, "brand": kit.model_dump(exclude_defaults=True)}


BriefSyntax = Literal["json", "yaml"]


def decode_brief(text: str, source: str = "brief", *, syntax: BriefSyntax = "yaml") -> Any:
    """JSON or YAML text → data, refusing duplicate keys; every failure is a BriefError.
    (The data still has to pass `parse_brief`.)"""
    try:
        if syntax == "json":
            data = json.loads(text, object_pairs_hook=_unique_json_object)
        else:
            data = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader: no arbitrary objects
    except RecursionError:
        raise BriefError(source, [Problem("", "nested too deeply")]) from None
    except json.JSONDecodeError as exc:
        raise BriefError(
            source, [Problem(f"line {exc.lineno}, column {exc.colno}", exc.msg)]
        ) from None
    except ValueError as exc:  # a duplicate key in JSON
        raise BriefError(source, [Problem("", str(exc))]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise BriefError(
            source, [Problem(where, f"not valid YAML: {getattr(exc, 'problem', exc)}")]
        ) from None
    return data


def brief_json_schema() -> dict[str, Any]:
    return Brief.model_json_schema()
