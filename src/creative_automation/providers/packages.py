"""Package shapes of the procedural provider: shape inference, lathed and boxed packages."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from creative_automation.providers.base import PackageShape
from creative_automation.providers.labels import LabelArt, fill_rows, paint_label
from creative_automation.providers.lathe import Material, Profile, Segment, make_profile
from creative_automation.providers.lathe import render_lathe as _render_lathe
from creative_automation.providers.studio import SS, Sprite, downsample

Array = np.ndarray

# Explicit container words win over category words ("Honey Oat Bar" is a bar, not a jar);
# then categories in this order ("Citrus Sparkling Water" is a can, not a bottle).
_CONTAINERS: tuple[tuple[PackageShape, str], ...] = (
    ("pouch", r"coffee beans|pouch|bag"),
    ("can", r"can|tin"),
    ("bottle", r"bottle|flask|dropper"),
    ("jar", r"jar|pot|tub"),
    ("tube", r"tube"),
    ("bar", r"bar"),
    ("box", r"box|carton|case|kit"),
)
_CATEGORIES: tuple[tuple[PackageShape, str], ...] = (
    ("can", r"soda|sparkling|seltzer|cola|beer|lager|energy drink"),
    ("jar", r"jam|honey|spread|preserve|peanut butter|marmalade|pickle"),
    ("tube", r"toothpaste|cream|lotion|gel|sunscreen|ointment|balm"),
    ("bar", r"chocolate|snack|candy|protein bar|soap"),
    ("pouch", r"chip|crisp|bean|coffee|granola|jerky|trail mix"),
    (
        "bottle",
        r"serum|water|oil|shampoo|conditioner|juice|wine|perfume|fragrance|sauce|syrup|"
        r"vinegar|drop|toner|essence|milk|kombucha|spirit|vodka|gin|whisk(?:e)?y",
    ),
)
DROPPER_WORDS = re.compile(
    r"\b(serum|drops?|essence|dropper|tincture|ampoule|face oil|essential oil)s?\b", re.I
)


def infer_shape(name: str, description: str = "") -> PackageShape:
    """Guess the package from keywords: the name before the description, containers first."""
    for text in (name, description):
        for table in (_CONTAINERS, _CATEGORIES):
            for shape, words in table:
                if re.search(rf"\b(?:{words})(?:e?s)?\b", text, re.IGNORECASE):
                    return shape
    return "box"


PAINT = Material(spec=0.55, gloss=45)
GLASS = Material(spec=0.95, gloss=90)
METAL = Material(spec=0.9, gloss=70, metal=1.0)
PLASTIC = Material(spec=0.45, gloss=30)
RUBBER = Material(spec=0.35, gloss=14)
FOIL = Material(spec=0.35, gloss=18)
SILVER = (0.78, 0.79, 0.81)
Colour = tuple[float, float, float]


def _mix(c: Colour, other: Colour, k: float) -> Colour:
    return (
        c[0] + (other[0] - c[0]) * k,
        c[1] + (other[1] - c[1]) * k,
        c[2] + (other[2] - c[2]) * k,
    )


def _ramp(stops: Sequence[tuple[float, Colour]], n: int = 64) -> Array:
    """A radial colour ramp for flat tops (lids, can ends): colour stops over radius 0..1."""
    r = np.linspace(0, 1, n)
    xs = [s[0] for s in stops]
    return np.stack([np.interp(r, xs, [s[1][i] for s in stops]) for i in range(3)], 1).astype(
        np.float32
    )


@dataclass(frozen=True)
class Band:
    """A colour band on the unrolled texture between heights t0 < t1 (object height is 1)."""

    t0: float
    t1: float
    colour: Colour
    stripes: int = 0  # > 0: horizontal ridges (crimps, lid grip), drawn darker


@dataclass(frozen=True)
class LathePackage:
    """A package turned on a lathe (or squashed from one), with its label region."""

    profile: Profile
    bands: tuple[Band, ...]
    label: tuple[float, float]  # label band heights t0 < t1
    text_width: float

    def extent(self, tilt: float) -> tuple[float, float]:
        """Sprite width and height per pixel of package height."""
        p, c, s = self.profile, np.cos(tilt), np.sin(tilt)
        return float(2 * p.a.max()), float((-p.t * c + p.b * s).max() - (-p.t * c - p.b * s).min())

    def render(
        self, art: LabelArt, height_px: float, tilt: float, light: Sequence[float]
    ) -> Sprite:
        th = max(8, round(height_px * SS))
        tw = max(8, round(np.pi * float(self.profile.a.max()) * height_px * SS))
        tex = np.empty((th, tw, 3), np.uint8)  # 8-bit: sampled 3x faster than float
        fill_rows(tex, 0, th, art.body)
        for band in self.bands:
            r0, r1 = round((1 - band.t1) * th), round((1 - band.t0) * th)
            colour = np.asarray(band.colour, np.float32) * 255.0
            if band.stripes:
                rows = np.arange(r1 - r0, dtype=np.float32)
                ridge = 0.82 + 0.18 * np.cos(rows * 2 * np.pi * band.stripes / max(1, r1 - r0))
                tex[r0:r1] = (ridge[:, None, None] * colour + 0.5).astype(np.uint8)
            else:
                fill_rows(tex, r0, r1, band.colour)
        paint_label(tex, art, (1 - self.label[1], 1 - self.label[0]), self.text_width)
        return _render_lathe(self.profile, tex, height_px, tilt, light)


def _rotate(n: Sequence[float], yaw: float, tilt: float) -> Array:
    """A direction in package space turned by the package yaw, then seen by the tilted camera."""
    x = n[0] * np.cos(yaw) + n[2] * np.sin(yaw)
    z = -n[0] * np.sin(yaw) + n[2] * np.cos(yaw)
    c, s = np.cos(tilt), np.sin(tilt)
    return np.array([x, n[1] * c - z * s, n[1] * s + z * c], np.float32)


@dataclass(frozen=True)
class CuboidPackage:
    """A carton or bar seen in three-quarter view: front, one side and the top."""

    dims: tuple[float, float, float]  # width, height, depth; height is 1
    yaw: float  # radians; > 0 turns the front to the right and shows the left side
    label: tuple[float, float]
    text_width: float

    def _corners(self, tilt: float) -> Array:
        """Projected corners, index = 4·(x is right) + 2·(y is top) + (z is front)."""
        w, h, d = self.dims
        pts = [(x, y, z) for x in (-w / 2, w / 2) for y in (0.0, h) for z in (-d / 2, d / 2)]
        flat = [_rotate(p, self.yaw, 0.0) for p in pts]
        c, s = np.cos(tilt), np.sin(tilt)
        return np.array([[p[0], -p[1] * c + p[2] * s] for p in flat], np.float32)

    def extent(self, tilt: float) -> tuple[float, float]:
        c = self._corners(tilt)
        return float(np.ptp(c[:, 0])), float(np.ptp(c[:, 1]))

    def render(
        self, art: LabelArt, height_px: float, tilt: float, light: Sequence[float]
    ) -> Sprite:
        s = height_px * SS
        w, h, d = self.dims
        corners = self._corners(tilt) * s
        pad = 2 * SS
        x0 = int(np.floor(corners[:, 0].min() / SS)) * SS - pad
        y0 = int(np.floor(corners[:, 1].min() / SS)) * SS - pad
        width = int(np.ceil((corners[:, 0].max() - x0) / SS)) * SS + pad
        height = int(np.ceil((corners[:, 1].max() - y0) / SS)) * SS + pad
        pt = corners - np.array([x0, y0], np.float32)
        left = self.yaw > 0  # which side face the camera sees
        side = (0, 1, 2, 3) if left else (4, 5, 6, 7)
        # (texture w, h in package units, corner indices top-left/top-right/bottom-left, normal)
        faces = (
            ((w, d), (2, 6, 3), (0.0, 1.0, 0.0)),
            (
                (d, h),
                (side[2], side[3], side[0]) if left else (7, 6, 5),
                (-1.0 if left else 1.0, 0.0, 0.0),
            ),
            ((w, h), (3, 7, 1), (0.0, 0.0, 1.0)),
        )
        key = np.asarray(light, np.float32) / np.linalg.norm(light)
        half = key + np.array([0, 0, 1], np.float32)
        half /= np.linalg.norm(half)
        rgb: Array = np.zeros((height, width, 3), np.float32)
        alpha = np.zeros((height, width), np.float32)
        for k, ((fw, fh), (i_tl, i_tr, i_bl), normal) in enumerate(faces):
            tex = self._face_texture(art, k, max(4, round(fw * s)), max(4, round(fh * s)))
            n = _rotate(normal, self.yaw, tilt)
            diffuse = max(0.0, (float(n @ key) + 0.3) / 1.3)
            sheen = max(0.0, float(n @ half)) ** 20 * 0.25
            tri = np.stack([pt[i_tl], pt[i_tr], pt[i_bl]])
            tri += (tri - (tri[1] + tri[2]) / 2) * (0.6 / max(1.0, s))  # overlap faces: no seams
            quad = np.stack([tri[0], tri[1], tri[1] + tri[2] - tri[0], tri[2]])
            bx0, by0 = np.maximum(np.floor(quad.min(axis=0)).astype(int) - 1, 0)
            bx1, by1 = np.minimum(np.ceil(quad.max(axis=0)).astype(int) + 2, (width, height))
            # Only the face's bounding box is warped and blended, not the whole canvas.
            th, tw = tex.shape[:2]
            src = np.array([[0, 0], [tw, 0], [0, th]], np.float32)
            m = cv2.getAffineTransform(src, (tri - (bx0, by0)).astype(np.float32))
            col = cv2.warpAffine(tex, m, (bx1 - bx0, by1 - by0), borderMode=cv2.BORDER_REPLICATE)
            col = col.astype(np.float32) * ((0.3 + 0.85 * diffuse) / 255.0) + sheen
            mask = np.zeros((by1 - by0, bx1 - bx0), np.float32)
            poly = np.round((quad - (bx0, by0)) * 16).astype(np.int32)
            cv2.fillConvexPoly(mask, poly, 1.0, cv2.LINE_AA, 4)
            m3 = cv2.merge([mask] * 3)
            roi = rgb[by0:by1, bx0:bx1]
            roi[:] = cv2.add(cv2.multiply(roi, 1.0 - m3), cv2.multiply(col, m3))
            a_roi = alpha[by0:by1, bx0:bx1]
            a_roi[:] = a_roi + mask * (1.0 - a_roi)
        # A soft box above: everything a little brighter towards the top.
        rgb *= np.linspace(1.05, 0.9, height, dtype=np.float32)[:, None, None]
        # Catch-lights along the front edges make the folds read as crisp card.
        edge = np.zeros_like(alpha)
        near = (1, 3) if left else (5, 7)
        for a, b in ((3, 7), near):
            p0 = tuple(int(v) for v in np.round(pt[a] * 16))
            p1 = tuple(int(v) for v in np.round(pt[b] * 16))
            cv2.line(edge, p0, p1, 1.0, SS, cv2.LINE_AA, 4)
        rgb = cv2.add(rgb, cv2.merge([edge * alpha * 0.22] * 3))
        rgba = cv2.merge([*cv2.split(cv2.multiply(rgb, cv2.merge([alpha] * 3))), alpha])
        base = corners[[0, 1, 4, 5]]
        return Sprite(
            rgba=downsample(rgba),
            anchor=(-x0 / SS, -y0 / SS),
            foot=float(np.ptp(base[:, 0])) / 2 / SS,
            depth=float(np.ptp(base[:, 1])) / 2 / SS,
        )

    def _face_texture(self, art: LabelArt, face: int, tw: int, th: int) -> Array:
        """8-bit face artwork; only the front carries text, so only it is drawn full size."""
        band = (1 - self.label[1], 1 - self.label[0])
        tex = np.empty((th, tw if face == 2 else 4, 3), np.uint8)
        fill_rows(tex, 0, th, art.body)
        if face == 2:
            paint_label(tex, art, band, self.text_width)
        elif face == 1:
            fill_rows(tex, round(th * band[0]), round(th * band[1]), art.label)
        return tex


Package = LathePackage | CuboidPackage


def build_package(shape: PackageShape, art: LabelArt, dropper: bool, yaw: float) -> Package:
    """The package geometry, materials and label layout for a shape (height is 1 unit)."""
    metal_cap = _ramp([(0, SILVER), (0.7, SILVER), (0.76, _mix(SILVER, (0, 0, 0), 0.4)),
                       (0.84, (0.92, 0.93, 0.94)), (0.9, _mix(SILVER, (0, 0, 0), 0.3)),
                       (0.95, (0.95, 0.95, 0.96)), (1, SILVER)])  # fmt: skip
    if shape == "can":
        r = 0.27
        prof = make_profile(0.84 * r, 0.84 * r, [
            Segment(0.035, r, r, METAL, "open"), Segment(0.86, r, r, PAINT, "lin"),
            Segment(0.955, 0.86 * r, 0.86 * r, METAL), Segment(0.968, 0.89 * r, 0.89 * r, METAL),
            Segment(1.0, 0.87 * r, 0.87 * r, METAL)], cap=metal_cap)  # fmt: skip
        bands: tuple[Band, ...] = (
            Band(0, 0.035, SILVER),
            Band(0.86, 1, SILVER),
            Band(0.8, 0.815, art.accent),
        )
        return LathePackage(prof, bands, (0.3, 0.7), 0.56)
    if shape == "bottle" and dropper:
        r = 0.2
        glass = _mix(art.body, (0.0, 0.0, 0.0), 0.2)
        prof = make_profile(0.9 * r, 0.9 * r, [
            Segment(0.025, r, r, GLASS, "open"), Segment(0.58, r, r, GLASS, "lin"),
            Segment(0.66, 0.36 * r, 0.36 * r, GLASS), Segment(0.675, 0.36 * r, 0.36 * r, GLASS),
            Segment(0.69, 0.5 * r, 0.5 * r, METAL), Segment(0.77, 0.5 * r, 0.5 * r, METAL, "lin"),
            Segment(0.78, 0.33 * r, 0.33 * r, RUBBER), Segment(0.8, 0.33 * r, 0.33 * r, RUBBER),
            Segment(1.0, 0.0, 0.0, RUBBER, "close")])  # fmt: skip
        dark = _mix(art.body, (0.03, 0.03, 0.035), 0.9)  # rubber bulb: near-black
        bands = (Band(0, 0.675, glass), Band(0.675, 0.78, art.accent, 9), Band(0.78, 1, dark))
        return LathePackage(prof, bands, (0.13, 0.47), 0.5)
    if shape == "bottle":
        r = 0.15
        prof = make_profile(0.9 * r, 0.9 * r, [
            Segment(0.02, r, r, GLASS, "open"), Segment(0.6, r, r, GLASS, "lin"),
            Segment(0.82, 0.38 * r, 0.38 * r, GLASS), Segment(0.85, 0.38 * r, 0.38 * r, GLASS),
            Segment(0.86, 0.47 * r, 0.47 * r, PLASTIC), Segment(1.0, 0.47 * r, 0.47 * r, PLASTIC)],
            cap=_ramp([(0, art.accent), (1, _mix(art.accent, (1, 1, 1), 0.2))]))  # fmt: skip
        bands = (Band(0.85, 1.0, art.accent, 14),)
        return LathePackage(prof, bands, (0.16, 0.5), 0.5)
    if shape == "jar":
        r = 0.44
        lid = art.accent
        prof = make_profile(0.92 * r, 0.92 * r, [
            Segment(0.04, r, r, GLASS, "open"), Segment(0.7, r, r, GLASS, "lin"),
            Segment(0.75, 0.9 * r, 0.9 * r, GLASS), Segment(0.77, 0.9 * r, 0.9 * r, GLASS),
            Segment(0.79, 0.98 * r, 0.98 * r, PLASTIC), Segment(1.0, 0.98 * r, 0.98 * r, PLASTIC)],
            cap=_ramp([(0, lid), (0.9, lid), (1, _mix(lid, (1, 1, 1), 0.25))]))  # fmt: skip
        bands = (Band(0.77, 1.0, lid, 16),)
        return LathePackage(prof, bands, (0.12, 0.6), 0.62)
    if shape == "tube":
        r = 0.17
        prof = make_profile(0.62 * r, 0.62 * r, [
            Segment(0.11, 0.62 * r, 0.62 * r, PLASTIC, "lin"),
            Segment(0.13, 0.5 * r, 0.5 * r, PLASTIC),
            Segment(0.17, 0.66 * r, 0.64 * r, PAINT), Segment(0.9, r, 0.1 * r, PAINT),
            Segment(0.915, 1.03 * r, 0.03 * r, PAINT, "lin"),
            Segment(1.0, 1.03 * r, 0.03 * r, PAINT, "lin")])  # fmt: skip
        bands = (Band(0, 0.13, art.accent, 0), Band(0.91, 1.0, art.body, 10))
        return LathePackage(prof, bands, (0.34, 0.8), 0.7)
    if shape == "pouch":
        r = 0.36
        prof = make_profile(0.93 * r, 0.3 * r, [
            Segment(0.05, r, 0.28 * r, FOIL, "open"), Segment(0.45, r, 0.2 * r, FOIL),
            Segment(0.88, 0.97 * r, 0.04 * r, FOIL), Segment(1.0, 0.97 * r, 0.015 * r, FOIL, "lin")
        ])  # fmt: skip
        bands = (Band(0.9, 1.0, art.body, 8), Band(0.86, 0.87, art.accent))
        return LathePackage(prof, bands, (0.24, 0.68), 0.8)
    if shape == "bar":
        return CuboidPackage((2.2, 1.0, 0.36), yaw * 0.6, (0.16, 0.84), 0.66)
    return CuboidPackage((0.72, 1.0, 0.42), yaw, (0.3, 0.72), 0.86)


__all__ = ["CuboidPackage", "LathePackage", "Package", "build_package", "infer_shape"]
