"""The offline default image provider: a lit studio product shot built from the brief alone."""

from __future__ import annotations

import asyncio
import colorsys
import hashlib
import time
from dataclasses import dataclass, replace

import cv2
import numpy as np
from PIL import Image

from creative_automation.compliance.legibility import contrast_ratio, relative_luminance
from creative_automation.imaging.geometry import Box
from creative_automation.providers.base import GenerationRequest, GenerationResult, parse_hex
from creative_automation.providers.labels import LabelArt
from creative_automation.providers.lathe import Material, Segment, make_profile, render_lathe
from creative_automation.providers.packages import DROPPER_WORDS, build_package, infer_shape
from creative_automation.providers.packshot import cutout
from creative_automation.providers.studio import Room, Sprite, backdrop, finish, place

MODEL = "procedural-studio-v1"
Colour = tuple[float, float, float]
Light = tuple[float, float, float]
# Used when a brief has no palette: calm, brand-neutral studio palettes.
DEFAULT_PALETTES = (
    ("#1F3A5F", "#F4A259", "#F8F4EC"),
    ("#2E4035", "#D9A441", "#F5F1E6"),
    ("#5B2A86", "#F2D0A4", "#FFFFFF"),
    ("#8C2F39", "#F6E7CB", "#1B1B1E"),
)


def _rgb(colour: str) -> Colour:
    r, g, b = parse_hex(colour)
    return (r / 255, g / 255, b / 255)


def _affine(c: Colour, scale: float, offset: float = 0.0) -> Colour:
    """Scale (and lift) all three channels alike: lighter or darker, same hue."""
    return (c[0] * scale + offset, c[1] * scale + offset, c[2] * scale + offset)


def _stable_hash(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def _luminance(c: Colour) -> float:
    return float(relative_luminance(np.array(c, np.float32) * 255.0))


def _contrast(a: Colour, b: Colour) -> float:
    return float(contrast_ratio(_luminance(a), _luminance(b)))


@dataclass(frozen=True)
class Roles:
    """Which brand colour plays which part in the shot."""

    wall: Colour
    art: LabelArt  # package body, label band, name and accent colours
    glow: Colour  # tint of the bokeh lights


def assign_roles(palette: tuple[str, ...], name: str, turn: int) -> Roles:
    """Backdrop from a chromatic brand colour (rotating with `turn`), package in contrast to it.

    The backdrop keeps the brand hue; only its lightness and saturation are brought into a
    range that photographs well (a near-black green becomes a deep green, not black).
    """
    cols = [_rgb(c) for c in palette]
    hls = [colorsys.rgb_to_hls(*c) for c in cols]
    chromatic = [i for i, (_, lum, sat) in enumerate(hls) if sat > 0.15 and 0.05 < lum < 0.95]
    pick = (chromatic or list(range(len(cols))))[turn % len(chromatic or cols)]
    hue, lum, sat = hls[pick]
    # A lifted near-black keeps less saturation, so deep navy stays navy rather than indigo.
    sat = min(sat, 0.72 if lum >= 0.24 else 0.58)
    wall: Colour = colorsys.hls_to_rgb(hue, min(max(lum, 0.24), 0.66), sat)
    others = [c for i, c in enumerate(cols) if i != pick] or [(0.97, 0.97, 0.96)]
    body = max(others, key=lambda c: abs(_luminance(c) - _luminance(wall)))
    rest = [c for c in cols if c != body] or [(1.0, 1.0, 1.0), (0.08, 0.08, 0.09)]
    label = max(rest, key=lambda c: _contrast(c, body))
    if _contrast(label, body) < 1.6:  # a band must read against its can
        label = (0.97, 0.97, 0.96) if _luminance(body) < 0.4 else (0.1, 0.1, 0.11)
    inks = [*cols, (1.0, 1.0, 1.0), (0.08, 0.08, 0.09)]
    brand_inks = [c for c in cols if _contrast(c, label) >= 3.0]
    text = max(brand_inks or inks, key=lambda c: _contrast(c, label))
    accent = next((c for c in cols if c not in (body, label)), cols[pick])
    return Roles(wall, LabelArt(body, label, text, accent, name), _affine(accent, 0.25, 0.75))


@dataclass(frozen=True)
class Shot:
    """The seed's composition: where things are, from where they are lit and seen."""

    slot: int  # 0 left, 1 centre, 2 right third
    key_side: int  # -1 key light on the left, +1 on the right
    tilt: float  # camera looking down, radians (higher camera → higher horizon)
    horizon: float  # fraction of frame height
    floor: float  # product base, fraction of the floor's depth below the horizon
    size: float  # package height, fraction of frame height
    pedestal: bool
    prop: bool
    gloss: float  # floor reflection strength
    bokeh: int


def plan_shot(rng: np.random.Generator, seed_turn: int) -> Shot:
    """Discrete choices cycle with the seed so neighbouring seeds always differ visibly."""
    tilt = float(rng.uniform(0.1, 0.27))
    return Shot(
        slot=(seed_turn + 2) % 3,  # seed turn 0 puts the product on the right third
        key_side=-1 if seed_turn % 2 == 0 else 1,
        tilt=tilt,
        horizon=0.7 - (tilt - 0.1) * 0.9 + float(rng.uniform(-0.03, 0.03)),
        floor=float(rng.uniform(0.5, 0.7)),
        size=float(rng.uniform(0.52, 0.62)),
        pedestal=seed_turn % 3 == 1,
        prop=seed_turn % 3 == 2,
        gloss=float(rng.uniform(0.14, 0.3)),
        bokeh=int(rng.integers(3, 9)),
    )


def _packshot_sprite(rgba: np.ndarray, height_px: float) -> Sprite:
    scale = height_px / rgba.shape[0]
    size = (max(1, round(rgba.shape[1] * scale)), max(1, round(rgba.shape[0] * scale)))
    # Area and linear resampling never overshoot, so premultiplied colour stays <= alpha.
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    img = np.asarray(cv2.resize(rgba, size, interpolation=interp), np.float32)
    base = img[int(img.shape[0] * 0.92) :, :, 3] > 0.5
    cols = np.flatnonzero(base.any(axis=0))
    foot = (cols.max() - cols.min() + 1) / 2 if cols.size else img.shape[1] / 2
    centre = (cols.max() + cols.min() + 1) / 2 if cols.size else img.shape[1] / 2
    return Sprite(img, (float(centre), img.shape[0] - 2.0), float(foot), float(foot) * 0.1)


def _plinth(radius: float, height: float, colour: Colour, tilt: float, light: Light) -> Sprite:
    """A round stone plinth: a flat-topped cylinder in a tint of the backdrop."""
    matte = Material(spec=0.12, gloss=8)
    ratio = radius / height
    prof = make_profile(ratio * 0.98, ratio * 0.98, [
        Segment(0.04, ratio, ratio, matte, "open"), Segment(0.97, ratio, ratio, matte, "lin"),
        Segment(1.0, ratio * 0.985, ratio * 0.985, matte)],
        cap=np.array([colour, colour], np.float32) * 1.05)  # fmt: skip
    tex = np.empty((8, 8, 3), np.uint8)
    tex[:] = np.round(np.asarray(colour) * 255)
    return render_lathe(prof, tex, height, tilt, light)


class ProceduralProvider:
    """Renders a studio hero shot offline: no network, no model, same pixels for the same seed."""

    name: str = "procedural"

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        return await asyncio.to_thread(self.render, request)

    def render(self, request: GenerationRequest) -> GenerationResult:
        """The shot for one request. subject_box is the product itself, without its shadow."""
        started = time.perf_counter()
        w, h = request.width, request.height
        product_hash = _stable_hash(request.product_id)
        rng = np.random.default_rng([product_hash, request.seed % 2**64])
        turn = (request.seed + product_hash) % 6
        shot = plan_shot(rng, turn)
        palette = request.palette or DEFAULT_PALETTES[product_hash % len(DEFAULT_PALETTES)]
        roles = assign_roles(palette, request.product_name, turn // 3 + request.seed)
        margin = 0.06 * min(w, h)
        horizon = shot.horizon * h
        floor_y = horizon + (h - horizon - margin) * shot.floor
        cx = w * (0.3, 0.5, 0.7)[shot.slot]
        key = (w * (0.2 if shot.key_side < 0 else 0.8), h * float(rng.uniform(0.08, 0.28)))
        light = (0.55 * shot.key_side, 0.55, 0.65)  # camera space: side, above, in front
        room = Room(
            w, h, roles.wall, _affine(roles.wall, 0.92), horizon, key, (cx, floor_y, 0.3 * w), 0.38
        )
        spots = [
            (float(rng.uniform(0, w)), float(rng.uniform(0, horizon * 0.9)),
             float(rng.uniform(0.02, 0.07)) * min(w, h), float(rng.uniform(0.05, 0.16)))
            for _ in range(shot.bokeh)
        ]  # fmt: skip
        img = backdrop(room, spots, roles.glow)

        if request.packshot is not None:
            cut = cutout(request.packshot)
            height = min(
                float(rng.uniform(0.55, 0.7)) * h,
                floor_y - margin,
                (w - 2 * margin) * cut.shape[0] / cut.shape[1],
            )
            sprite = _packshot_sprite(cut, height)
            box = self._stage(img, room, sprite, cx, floor_y, shot.key_side, shot.gloss, margin)
        else:
            box = self._package_scene(img, room, shot, roles, request, floor_y, light, margin)
        pixels = finish(img, rng)
        return GenerationResult(
            image=Image.fromarray(pixels, "RGB"),
            provider=self.name,
            model=MODEL,
            seed=request.seed,
            cost_usd=0.0,
            latency_s=time.perf_counter() - started,
            subject_box=box if box.area > 0 else None,  # None: too small to hold a product
            prompt=request.prompt,
        )

    def _package_scene(
        self,
        img: np.ndarray,
        room: Room,
        shot: Shot,
        roles: Roles,
        request: GenerationRequest,
        floor_y: float,
        light: Light,
        margin: float,
    ) -> Box:
        w, h = room.width, room.height
        text = f"{request.product_name} {request.description}"
        shape = request.shape or infer_shape(request.product_name, request.description)
        yaw = 0.5 * -shot.key_side  # turn the lit face of a carton towards the key light
        pkg = build_package(shape, roles.art, bool(DROPPER_WORDS.search(text)), yaw)
        per_w, per_h = pkg.extent(shot.tilt)
        cx = w * (0.3, 0.5, 0.7)[shot.slot]
        pedestal = shot.pedestal and shape != "bar"  # a plinth under a wide bar dwarfs the shot
        plinth_h = 0.1 * h if pedestal else 0.0
        # A centred product leaves the headline less room beside it, so it is drawn smaller.
        size = shot.size * (0.85 if shot.slot == 1 else 1.0) * h - plinth_h
        widest = 0.6 if shape == "bar" else 0.4  # of the frame width
        height = min(size / per_h, (floor_y - margin - plinth_h) / per_h, widest * w / per_w)
        if shot.prop and shape not in ("bar",):
            small = replace(roles.art, body=roles.art.label, label=roles.art.body)
            prop = pkg.render(small, height * 0.62, shot.tilt, light)
            side = -1 if shot.slot == 0 else 1 if shot.slot == 2 else -shot.key_side
            px = cx + side * (per_w * height * 0.5 + prop.foot * 0.35)
            if margin + prop.foot < px < w - margin - prop.foot:
                soft = cv2.GaussianBlur(prop.rgba, (0, 0), 0.8 + min(w, h) / 1400)
                self._stage(img, room, replace(prop, rgba=soft), px, floor_y - 0.035 * h,
                            shot.key_side, shot.gloss, margin)  # fmt: skip
        sprite = pkg.render(roles.art, height, shot.tilt, light)
        if pedestal:
            stone = _affine(room.wall, 0.55, 0.4)  # a pale tint of the backdrop
            radius = max(sprite.foot * 1.7, sprite.size[0] * 0.62)
            plinth = _plinth(radius, plinth_h, stone, shot.tilt, light)
            x, y = self._fit(room, plinth, cx, floor_y, margin)
            place(img, room, plinth, x, y, shot.key_side, shot.gloss)
            top = y - plinth_h * float(np.cos(shot.tilt))  # centre of the plinth's top face
            return place(img, room, sprite, x, top, shot.key_side, 0.0, cast=False)
        return self._stage(img, room, sprite, cx, floor_y, shot.key_side, shot.gloss, margin)

    @staticmethod
    def _fit(room: Room, sprite: Sprite, x: float, y: float, margin: float) -> tuple[float, float]:
        """The anchor position nearest (x, y) that keeps the whole sprite inside the margins."""
        (ax, ay), sw = sprite.anchor, sprite.size[0]
        return min(max(x, margin + ax), room.width - margin - (sw - ax)), max(y, margin + ay)

    def _stage(
        self,
        img: np.ndarray,
        room: Room,
        sprite: Sprite,
        cx: float,
        floor_y: float,
        key_side: int,
        gloss: float,
        margin: float,
    ) -> Box:
        """Stand the sprite on the floor near cx, with its shadows and reflection."""
        x, y = self._fit(room, sprite, cx, floor_y, margin)
        return place(img, room, sprite, x, y, key_side, gloss)


__all__ = ["MODEL", "ProceduralProvider", "assign_roles", "infer_shape", "plan_shot"]
