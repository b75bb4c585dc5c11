"""Generation prompts, built from the brief through template files (not literals in code)."""

from __future__ import annotations

from functools import cache
from importlib import resources

from .brief import Brief, Product


@cache
def template(name: str) -> str:
    return resources.files("creative_automation").joinpath("templates", name).read_text("utf-8")


def product_prompt(brief: Brief, product: Product, *, staged: bool = False) -> str:
    """The image prompt for a product; `staged`: a scene to build around its cut-out packshot."""
    palette = ", ".join(brief.brand.hexes) if brief.brand and brief.brand.palette else "neutral"
    text = template("packshot_prompt.txt" if staged else "product_prompt.txt").format(
        product_name=product.name,
        description_clause=f" ({product.description})" if product.description else "",
        audience=brief.audience,
        region=brief.region or ", ".join(brief.markets),
        palette=palette,
        mood_clause=f" Mood: {', '.join(brief.brand.tone)}."
        if brief.brand and brief.brand.tone
        else "",
    )
    return " ".join(text.split())


def negative_prompt() -> str:
    """What generated images must not contain (text, logos, watermarks), from its template."""
    return " ".join(template("negative_prompt.txt").split())
