"""Renders lathed packages (cans, bottles, jars, tubes, pouches) with a wrapped, lit label."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from creative_automation.providers.studio import SS, Sprite

Array = np.ndarray
Ease = Literal["cos", "lin", "open", "close"]


@dataclass(frozen=True)
class Material:
    """Surface response: specular strength, highlight tightness, how metallic."""

    spec: float
    gloss: float
    metal: float = 0.0


@dataclass(frozen=True)
class Segment:
    """The profile from the previous segment's end up to height t_end (object height is 1).

    a is the half-width and b the half-depth of the elliptic cross-section: a == b is a solid of
    revolution, b << a flattens it (the crimped end of a tube, the seal of a pouch).
    """

    t_end: float
    a_end: float
    b_end: float
    material: Material
    ease: Ease = "cos"


@dataclass(frozen=True)
class Profile:
    """Sampled shape and material along the height, plus an optional flat top disk."""

    t: Array
    a: Array
    b: Array
    spec: Array
    gloss: Array
    metal: Array
    cap: Array | None  # radial colour ramp (n x 3) of a flat top, None if the shape closes itself


def make_profile(
    a0: float, b0: float, segments: Sequence[Segment], cap: Array | None = None, n: int = 2048
) -> Profile:
    """Sample a profile given as eased segments from the base (t=0) to the top (t=1)."""
    t = np.linspace(0.0, 1.0, n, dtype=np.float32)
    a = np.zeros(n, np.float32)
    b = np.zeros(n, np.float32)
    mats = np.zeros((n, 3), np.float32)
    t0, pa, pb = 0.0, a0, b0
    for seg in segments:
        sel = (t >= t0) & (t <= seg.t_end)
        s = (t[sel] - t0) / max(seg.t_end - t0, 1e-6)
        if seg.ease == "cos":
            e = 0.5 - 0.5 * np.cos(np.pi * s)
        elif seg.ease == "open":  # quarter circle: steep start, flat end (a rounded base)
            e = np.sqrt(np.clip(1.0 - (1.0 - s) ** 2, 0.0, 1.0))
        elif seg.ease == "close":  # quarter circle: flat start, steep end (a dome)
            e = 1.0 - np.sqrt(np.clip(1.0 - s**2, 0.0, 1.0))
        else:
            e = s
        a[sel] = pa + (seg.a_end - pa) * e
        b[sel] = pb + (seg.b_end - pb) * e
        mats[sel] = (seg.material.spec, seg.material.gloss, seg.material.metal)
        t0, pa, pb = seg.t_end, seg.a_end, seg.b_end
    return Profile(t, a, b, mats[:, 0], mats[:, 1], mats[:, 2], cap)


def _unit(v: Sequence[float]) -> Array:
    arr = np.asarray(v, np.float32)
    return arr / np.linalg.norm(arr)


def _lut(table: Array, tv: Array) -> Array:
    """Nearest lookup of profile samples (uniform in t over 0..1) at heights tv.

    Profiles hold 2048 samples, finer than any rendered row, so nearest is exact enough and one
    gather is several times cheaper than interpolating.
    """
    n = table.shape[0]
    idx = np.clip(tv * (n - 1) + 0.5, 0, n - 1).astype(np.intp)
    return np.asarray(np.take(table, idx, axis=0), np.float32)


def _front_rows(p: Profile, xs: Array, cphi: float, sphi: float, n_t: int) -> tuple[Array, ...]:
    """Screen-space samples of the front surface, per column, top down.

    Returns the t samples, their screen y per column (-inf where the column misses the
    profile), which samples are newly visible (below everything above them) and the running
    count of misses. Walking down from the top, a height is seen where its front edge drops
    below everything above it; that is how a lid hides the top of the body under it.
    """
    t = np.linspace(1.0, 0.0, n_t, dtype=np.float32)
    ab = _lut(np.stack([p.a, p.b], 1), t)
    a, b = ab[:, :1], ab[:, 1:]
    q = 1.0 - (xs[None, :] / np.maximum(a, 1e-6)) ** 2
    hit = q > 0
    ys = np.where(hit, -t[:, None] * cphi + b * np.sqrt(np.maximum(q, 0)) * sphi, -np.inf)
    env = np.maximum.accumulate(ys, axis=0)
    newly = ys > np.vstack([np.full((1, xs.size), -np.inf, np.float32), env[:-1]])
    return t, ys, newly, np.cumsum(~hit, axis=0, dtype=np.int32)


def _visible_heights(p: Profile, xs: Array, rows: Array, cphi: float, sphi: float) -> Array:
    """For each pixel (row, column), the height t of the surface point seen there.

    Where no front surface is seen, t continues as the limb (the silhouette, z = 0), which
    keeps t smooth across the outline so it can be scaled up without fringes. The seen
    samples of a column go down the screen monotonically, so each row finds the last sample
    above it by a scatter and a running maximum (no search), then interpolates to the next,
    unless the column leaves the profile in between (the gap under a dropper's collar).
    """
    t, ys, newly, misses = _front_rows(p, xs, cphi, sphi, max(64, int(rows.size * 0.8)))
    cols_k, rows_k = np.nonzero(newly.T)  # by column, then from the top down
    limb = np.broadcast_to(np.clip(-rows[:, None] / cphi, 0.0, 1.0), (rows.size, xs.size))
    if cols_k.size < 2:
        return np.ascontiguousarray(limb, np.float32)
    yk, tk = ys[rows_k, cols_k], t[rows_k]
    nxt = np.minimum(np.arange(1, yk.size + 1), yk.size - 1)
    joined = (cols_k[nxt] == cols_k) & (misses[rows_k[nxt], cols_k] == misses[rows_k, cols_k])
    joined[-1] = False
    step = float(rows[1] - rows[0])
    pos = np.clip(np.ceil((yk - rows[0]) / step), 0, rows.size).astype(np.int32)
    last = np.full((rows.size + 1, xs.size), -1, np.int32)
    np.maximum.at(last, (pos, cols_k), np.arange(yk.size, dtype=np.int32))
    last = np.maximum.accumulate(last, axis=0)[: rows.size]
    ok = (last >= 0) & joined[last]
    y0, y1, t0, t1 = yk[last], yk[nxt[last]], tk[last], tk[nxt[last]]
    frac = np.clip((rows[:, None] - y0) / np.maximum(y1 - y0, 1e-9), 0.0, 1.0)
    return np.where(ok, t0 + (t1 - t0) * frac, limb).astype(np.float32)


def render_lathe(
    p: Profile, tex: Array, height_px: float, tilt: float, light: Sequence[float]
) -> Sprite:
    """Orthographic render of the profile; the camera looks down by `tilt` radians.

    `light` is the key-light direction in camera space (x right, y up, z towards the camera).
    `tex` is the unrolled front half of the package as 8-bit RGB (rows top to bottom, columns
    left to right edge as seen). Which height is seen where, and the smooth lighting, are
    worked out at 1x; the outline and the label are sampled at SSx and averaged down, so
    edges and text are anti-aliased.
    """
    s1, s = height_px, height_px * SS
    cphi, sphi = float(np.cos(tilt)), float(np.sin(tilt))
    half = int(np.ceil(float(p.a.max()) * s1)) + 2
    top = int(np.floor(float((-p.t * cphi - p.b * sphi).min()) * s1)) - 2
    bottom = int(np.ceil(float((-p.t * cphi + p.b * sphi).max()) * s1)) + 2
    xs1 = (np.arange(-half, half, dtype=np.float32) + 0.5) / s1
    rows1 = (np.arange(top, bottom, dtype=np.float32) + 0.5) / s1
    xs = (np.arange(-half * SS, half * SS, dtype=np.float32) + 0.5) / s
    rows = (np.arange(top * SS, bottom * SS, dtype=np.float32) + 0.5) / s
    size = (xs.size, rows.size)

    t1 = _visible_heights(p, xs1, rows1, cphi, sphi)
    mult, add = _lighting(p, t1, xs1[None, :], cphi, sphi, light)
    tv = cv2.resize(t1, size, interpolation=cv2.INTER_LINEAR)

    # The outline at SSx: inside the profile's half-width at the height seen there (sides,
    # necks, gaps), above the lowest front point of the column, below the front of the top rim.
    ys = _front_rows(p, xs, cphi, sphi, 64)[1]
    lowest = ys.max(axis=0)
    a1, b1 = float(p.a[-1]), float(p.b[-1])
    rim = np.sqrt(np.clip(1.0 - (xs / max(a1, 1e-6)) ** 2, 0.0, 1.0))
    top_edge = np.where(np.abs(xs) < a1, -cphi + b1 * rim * sphi, -np.inf)
    av = _lut(p.a, tv)
    front = (np.abs(xs) < av) & (rows[:, None] <= lowest) & (rows[:, None] >= top_edge)

    th, tw = tex.shape[:2]
    sn = np.clip(xs / np.maximum(av, 1e-6), -1.0, 1.0)
    map_x = ((np.arcsin(sn) * (1 / np.pi) + 0.5) * (tw - 1)).astype(np.float32)
    map_y = ((1.0 - tv) * (th - 1)).astype(np.float32)
    albedo = cv2.remap(tex, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    # At SSx coverage is 0 or 1, so premultiplying is zeroing: fold it into the lighting.
    alpha = front.astype(np.float32)
    mult = cv2.resize(mult, size, interpolation=cv2.INTER_LINEAR) * alpha
    add = cv2.resize(add, size, interpolation=cv2.INTER_LINEAR) * alpha
    lit = cv2.multiply(albedo, cv2.merge([mult] * 3), scale=1 / 255, dtype=cv2.CV_32F)
    rgb = cv2.add(lit, cv2.merge([add] * 3))

    if p.cap is not None:
        band = np.flatnonzero(np.abs(rows + cphi) <= b1 * sphi + 2 / s)  # rows the disk spans
        r0, r1 = int(band[0]), int(band[-1]) + 1
        zc = (rows[r0:r1, None] + cphi) / sphi
        rho = np.sqrt((xs[None, :] / a1) ** 2 + (zc / b1) ** 2)
        disk = (rho <= 1.0) & ~front[r0:r1]
        ramp = p.cap[np.clip((rho * (len(p.cap) - 1)).astype(int), 0, len(p.cap) - 1)]
        lit_top = 0.55 + 0.45 * max(0.0, float(light[1]) * cphi + float(light[2]) * sphi)
        shade = lit_top * (1.0 + 0.12 * np.clip(zc / b1, -1, 1))  # the near rim catches more
        rgb[r0:r1] = np.where(disk[..., None], ramp * shade[..., None], rgb[r0:r1])
        alpha[r0:r1] = np.maximum(alpha[r0:r1], disk)

    small = (size[0] // SS, size[1] // SS)
    rgba = cv2.merge(
        [
            *cv2.split(cv2.resize(rgb, small, interpolation=cv2.INTER_AREA)),
            cv2.resize(alpha, small, interpolation=cv2.INTER_AREA),
        ]
    )
    return Sprite(
        rgba=np.asarray(rgba, np.float32),
        anchor=(float(half), float(-top)),
        foot=float(p.a[0]) * s1,
        depth=float(p.b[0]) * sphi * s1,
    )


def _lighting(
    p: Profile, tv: Array, xs: Array, cphi: float, sphi: float, light: Sequence[float]
) -> tuple[Array, Array]:
    """Per-pixel (albedo multiplier, added light) for heights tv at columns xs.

    Studio product lighting: a wrapped key diffuse, tall strip soft boxes that draw vertical
    highlight stripes on round surfaces (key side strong, fill side thin), a rim, and for metal
    a reflection of the studio instead of diffuse light.
    """
    geo = _lut(np.stack([p.a, p.b, np.gradient(p.a, p.t), np.gradient(p.b, p.t)], 1), tv)
    av, bv, da, db = (geo[..., i] for i in range(4))
    sn = np.clip(xs / np.maximum(av, 1e-6), -1.0, 1.0)
    cs = np.sqrt(1.0 - sn**2)
    nx, ny, nz = bv * sn, -(da * bv * sn**2 + av * db * cs**2), av * cs
    norm = np.sqrt(nx**2 + ny**2 + nz**2) + 1e-6
    nx, ny, nz = nx / norm, ny / norm, nz / norm
    ny, nz = ny * cphi - nz * sphi, ny * sphi + nz * cphi

    key = _unit(light)
    ndl = nx * key[0] + ny * key[1] + nz * key[2]
    diffuse = np.clip((ndl + 0.2) / 1.2, 0.0, 1.0)  # wrapped: the shadow side is not black
    # Strip lights are tall: their highlight depends on the horizontal normal only.
    hk = _unit((key[0], key[2] + 1.0))
    hf = _unit((-0.8 * key[0], 1.6))
    strip_k = np.clip(nx * hk[0] + nz * hk[1], 0.0, 1.0)
    strip_f = np.clip(nx * hf[0] + nz * hf[1], 0.0, 1.0)
    mat = _lut(np.stack([p.spec, p.gloss, p.metal], 1), tv)
    spec, gloss, metal = (mat[..., i] for i in range(3))
    highlight = spec * (
        np.exp(gloss * np.log(strip_k + 1e-6)) * 0.9
        + np.exp(gloss * 2.0 * np.log(strip_f + 1e-6)) * 0.45
        + strip_k**3 * 0.06
    )
    rim = np.clip(1.0 - nz, 0.0, 1.0) ** 3 * 0.22
    # Metal mirrors the studio: dark surround, a broad soft box on the key side, a strip opposite.
    env = (
        0.22
        + 0.8 * np.exp(-(((nx - 0.55 * key[0]) / 0.28) ** 2))
        + 0.45 * np.exp(-(((nx + 0.75 * key[0]) / 0.12) ** 2))
        + 0.25 * np.clip(ny, 0.0, 1.0)
    )
    occlusion = 1.0 - 0.28 * np.exp(-tv / 0.035)  # darker where the package meets the floor
    mult = ((0.24 + 0.8 * diffuse) * (1.0 - metal) + env * metal) * occlusion
    add = highlight + rim * (1.0 - metal)
    return mult.astype(np.float32), add.astype(np.float32)
