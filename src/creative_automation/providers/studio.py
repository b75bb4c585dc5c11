"""The procedural studio: lit backdrop and floor, bokeh, shadows, reflections and compositing."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from creative_automation.imaging.geometry import Box

Array = np.ndarray
Colour = tuple[float, float, float]
SS = 2  # supersampling factor of rendered packages (anti-aliased edges and label text)


@dataclass(frozen=True)
class Sprite:
    """A premultiplied RGBA float layer plus where and how it touches the floor."""

    rgba: Array  # h x w x 4 float32, colour premultiplied by alpha
    anchor: tuple[float, float]  # base centre (the floor contact point) in sprite pixels
    foot: float  # half-width of the footprint in pixels
    depth: float  # half-height of the footprint ellipse as the camera sees it, pixels

    @property
    def size(self) -> tuple[int, int]:
        return int(self.rgba.shape[1]), int(self.rgba.shape[0])

    def bbox(self) -> Box:
        """The visible pixels of the sprite (alpha above ~2 %), in sprite coordinates."""
        seen = self.rgba[..., 3] > 0.02
        rows, cols = np.flatnonzero(seen.any(axis=1)), np.flatnonzero(seen.any(axis=0))
        if rows.size == 0:
            return Box(0, 0, 0, 0)
        return Box(int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)


def downsample(rgba: Array) -> Array:
    """Average SSxSS blocks of a supersampled premultiplied layer."""
    h, w = rgba.shape[:2]
    small = cv2.resize(rgba, (w // SS, h // SS), interpolation=cv2.INTER_AREA)
    return np.asarray(small, np.float32)


@dataclass(frozen=True)
class Room:
    """The lit set: wall and floor colours, horizon row, key light and the light pool."""

    width: int
    height: int
    wall: Colour
    floor: Colour
    horizon: float  # y of the wall/floor meeting line, px
    key: tuple[float, float]  # centre of the key light's hot spot on the wall, px
    pool: tuple[float, float, float]  # light pool on the floor: centre x, centre y, radius px
    vignette: float  # 0 none … 0.5 strong darkening of the corners


def _smoothstep(x: Array) -> Array:
    x = np.clip(x, 0.0, 1.0)
    return np.asarray(x * x * (3.0 - 2.0 * x), np.float32)


def backdrop(room: Room, bokeh: list[tuple[float, float, float, float]], tint: Colour) -> Array:
    """The empty set as float RGB, lit by the key light, with soft out-of-focus bokeh discs.

    Everything here is smooth, so it is computed at a quarter of the size and scaled up.
    Light only scales a colour or mixes it with white, which keeps its hue: the brand colour
    stays recognisable from the brightest spot to the darkest corner.
    """
    w, h = room.width, room.height
    f = max(1, min(4, min(w, h) // 64))
    lw, lh = max(2, -(-w // f)), max(2, -(-h // f))
    y, x = np.mgrid[0:lh, 0:lw].astype(np.float32) * f
    diag = float(np.hypot(w, h))
    wall, floor = np.asarray(room.wall, np.float32), np.asarray(room.floor, np.float32)

    glow = np.exp(-(((x - room.key[0]) ** 2 + (y - room.key[1]) ** 2) / (2 * (0.36 * diag) ** 2)))
    wall_rgb = wall * (0.55 + 0.6 * glow)[..., None]
    wall_rgb += (1.0 - wall_rgb) * (0.14 * glow**2)[..., None]
    px, py, pr = room.pool
    pool = np.exp(-(((x - px) / (1.6 * pr)) ** 2 + ((y - py) / (0.7 * pr)) ** 2))
    depth = np.clip((y - room.horizon) / max(1.0, h - room.horizon), 0.0, 1.0)
    floor_rgb = floor * (0.62 + 0.5 * pool - 0.22 * depth)[..., None]
    floor_rgb += (1.0 - floor_rgb) * (0.1 * pool**2)[..., None]
    blend = _smoothstep((y - room.horizon + 0.03 * h) / (0.06 * h))[..., None]
    rgb = wall_rgb * (1.0 - blend) + floor_rgb * blend

    light = np.asarray(tint, np.float32)
    for bx, by, br, strength in bokeh:
        x0, x1 = max(0, int((bx - br) / f)), min(lw, int((bx + br) / f) + 2)
        y0, y1 = max(0, int((by - br) / f)), min(lh, int((by + br) / f) + 2)
        if x0 >= x1 or y0 >= y1:
            continue
        d = np.sqrt((x[y0:y1, x0:x1] - bx) ** 2 + (y[y0:y1, x0:x1] - by) ** 2) / br
        disc = _smoothstep((1.0 - d) / 0.25) * (0.8 + 0.2 * _smoothstep((d - 0.7) / 0.3))
        disc *= (1.0 - blend[y0:y1, x0:x1, 0]) * strength
        patch = rgb[y0:y1, x0:x1]
        patch[:] = 1.0 - (1.0 - patch) * (1.0 - disc[..., None] * light)  # screen: light adds

    r2 = ((x - w / 2) / (w / 2)) ** 2 + ((y - h / 2) / (h / 2)) ** 2
    rgb *= (1.0 - room.vignette * np.clip(r2 / 2.0, 0.0, 1.0) ** 1.2)[..., None]
    full = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_LINEAR)
    return np.asarray(full, np.float32)


def _shade_floor(
    img: Array, room: Room, sprite: Sprite, x: float, y: float, key_side: int, cast: bool
) -> None:
    """Darken the floor under the sprite: contact shadow, ambient occlusion, a short cast shadow.

    Worked out at reduced size inside a box around the footprint only (blurs are the cost).
    """
    rx, ry = sprite.foot, max(sprite.depth, sprite.foot * 0.1)
    unit = max(1.0, min(room.width, room.height) / 100)
    f = int(np.clip(round((ry * 1.6 + unit) / 8), 2, 8))  # coarser for wider, softer shadows
    ax, ay = sprite.anchor
    squash, shear = 0.22, 0.55 * key_side  # key_side -1 = key light on the left: shadow right
    reach = 4 * (ry * 1.6 + unit)
    length = squash * ay if cast else 0.0
    x0 = int(max(0, x - 1.5 * rx - reach - abs(shear) * length)) // f * f
    x1 = int(min(room.width, x + 1.5 * rx + reach + abs(shear) * length))
    y0 = int(max(0, y - length - reach)) // f * f
    y1 = int(min(room.height, y + 2.2 * ry + reach))
    if x1 - x0 < 2 * f or y1 - y0 < 2 * f:
        return
    w, h = -(-(x1 - x0) // f), -(-(y1 - y0) // f)
    mask = np.zeros((h, w), np.float32)
    cx, cy = (x - x0) / f, (y - y0) / f

    for sx, sy, weight, blur in ((0.92, 0.9, 0.95, ry * 0.4), (1.5, 2.2, 0.5, ry * 1.6 + unit)):
        layer: Array = np.zeros_like(mask)
        axes = (max(1, round(rx * sx / f * 16)), max(1, round(ry * sy / f * 16)))
        centre = (round(cx * 16), round((cy - ry * 0.15 / f) * 16))
        cv2.ellipse(layer, centre, axes, 0, 0, 360, 1.0, -1, cv2.LINE_AA, 4)
        layer = cv2.GaussianBlur(layer, (0, 0), max(1.0, blur / f))
        np.maximum(mask, layer * weight / max(float(layer.max()), 1e-6), out=mask)

    if cast:  # the silhouette laid back on the floor, away from the key light
        m = np.array(
            [[1.0 / f, shear * squash / f, cx - ax / f - shear * squash * ay / f],
             [0.0, squash / f, cy - squash * ay / f]],
            np.float32,
        )  # fmt: skip
        shadow = cv2.warpAffine(sprite.rgba[..., 3], m, (w, h), flags=cv2.INTER_LINEAR)
        rows = np.arange(h, dtype=np.float32)[:, None]
        fade = np.clip(1.0 - (cy - rows) / max(1.0, length / f), 0.0, 1.0)
        shadow = cv2.GaussianBlur(shadow * fade, (0, 0), 1.25 * unit)
        np.maximum(mask, shadow * 0.35, out=mask)
    keep = 1.0 - 0.8 * cv2.resize(mask, (w * f, h * f))[: y1 - y0, : x1 - x0]
    roi = img[y0:y1, x0:x1]
    roi[:] = cv2.multiply(roi, cv2.merge([keep] * 3))


def _reflection(sprite: Sprite, opacity: float, length: float) -> tuple[Array, int]:
    """The sprite mirrored about its own bottom edge, column by column, fading with distance.

    Returns the layer and the row of the sprite its top lines up with.
    """
    rgba = sprite.rgba
    h, w = rgba.shape[:2]
    solid = rgba[..., 3] > 0.5
    has = solid.any(axis=0)
    if not has.any():
        return np.zeros((1, w, 4), np.float32), 0
    bottom = np.where(has, h - 1 - np.argmax(solid[::-1], axis=0), -(10**6)).astype(np.float32)
    # Mirror each column about its own bottom edge where it stands on the floor, about the
    # floor line where it does not (the sides of a round packshot hang above the floor).
    line = np.where(has, np.maximum(bottom, np.float32(sprite.anchor[1])), bottom)
    n = max(1, int(length * h))
    top = int(line[has].min()) + 1
    rows = np.arange(int(line.max()) + 1 + n - top, dtype=np.float32)[:, None] + top
    k = rows - line[None, :] - 1  # distance below this column's mirror line
    map_y = np.where(k >= 0, line[None, :] - k, -1.0).astype(np.float32)
    map_x = np.broadcast_to(np.arange(w, dtype=np.float32), map_y.shape).copy()
    mirror = cv2.remap(rgba, map_x, map_y, cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT)
    fade = (opacity * np.clip(1.0 - k / n, 0.0, 1.0) ** 2).astype(np.float32)
    mirror = cv2.multiply(mirror, cv2.merge([fade] * 4))
    return cv2.GaussianBlur(mirror, (0, 0), 1.2), top


def composite(img: Array, rgba: Array, x0: int, y0: int) -> None:
    """Premultiplied 'over' of rgba onto img at (x0, y0), clipped to the frame, in place."""
    h, w = img.shape[:2]
    sh, sw = rgba.shape[:2]
    fx0, fy0, fx1, fy1 = max(0, x0), max(0, y0), min(w, x0 + sw), min(h, y0 + sh)
    if fx0 >= fx1 or fy0 >= fy1:
        return
    src = rgba[fy0 - y0 : fy1 - y0, fx0 - x0 : fx1 - x0]
    # cv2 rather than numpy broadcasting over the channel axis: about 5x faster here.
    keep = 1.0 - src[..., 3]
    roi = img[fy0:fy1, fx0:fx1]
    roi[:] = cv2.add(
        cv2.multiply(roi, cv2.merge([keep] * 3)), cv2.cvtColor(src, cv2.COLOR_RGBA2RGB)
    )


def place(
    img: Array,
    room: Room,
    sprite: Sprite,
    x: float,
    y: float,
    key_side: int,
    gloss: float,
    cast: bool = True,
) -> Box:
    """Stand the sprite's anchor on (x, y) with shadows and a floor reflection; its frame box.

    The box is the sprite's visible pixels only (not its shadow or reflection).
    """
    _shade_floor(img, room, sprite, x, y, key_side, cast)
    x0, y0 = round(x - sprite.anchor[0]), round(y - sprite.anchor[1])
    if gloss > 0:
        refl, dy = _reflection(sprite, gloss, 0.4)
        composite(img, refl, x0, y0 + dy)
    composite(img, sprite.rgba, x0, y0)
    return sprite.bbox().shift(x0, y0).clamp(room.width, room.height)


def finish(img: Array, rng: np.random.Generator, grain: float = 3.0) -> Array:
    """Fine monochrome grain (hides banding in smooth gradients), as 8-bit RGB.

    The grain is a tile repeated over the frame: at a few levels of amplitude the repeat is
    invisible, and it costs a fraction of drawing a full frame of noise.
    """
    h, w = img.shape[:2]
    tile = rng.standard_normal((128, 128), dtype=np.float32) * grain
    noise = np.tile(tile, (-(-h // 128), -(-w // 128)))[:h, :w]
    grainy = cv2.addWeighted(img, 255.0, cv2.merge([noise] * 3), 1.0, 0.0)
    return np.asarray(cv2.convertScaleAbs(grainy), np.uint8)


__all__ = ["SS", "Room", "Sprite", "backdrop", "composite", "downsample", "finish", "place"]
