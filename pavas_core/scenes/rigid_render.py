"""Rendering of oriented boxes and cylinders, with their shadows on the floor, by ray casting.

Each pixel is sampled at SS×SS points (anti-aliasing). A sample's camera ray is tested against
every body in its local frame (slabs for a box, a quadric plus two caps for a cylinder); the
nearest hit is shaded like the sphere renderer (Lambert + Blinn, the same light), a sample that
hits no body shows the background, darkened by SHADOW_FACTOR where it is floor and the ray from the
floor point towards the light hits a body. A shadow thus keeps the floor's chroma and only lowers
its level, like a real cast shadow under one dominant light.

Ownership (ground-truth masks): object i owns a pixel when at least half of its samples see object
i as the nearest surface — "at least half of what the pixel shows is object i", the rule of the
sphere scenes (render.owned_masks) without motion blur.

Only the pixels near the bodies and their shadows are ray cast: each body's footprint (its
projected bounding box and that of its shadow) is a rectangle, overlapping rectangles are merged,
and each rectangle is rendered once with every body that reaches into it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .camera import PinholeCamera
from .render import _HALF, _LIGHT, shift_image

SS = 2  # samples per pixel along each axis
SHADOW_FACTOR = 0.55  # a shadowed floor sample keeps this share of its light (same chroma)
_EPS = 1e-7


@dataclass(frozen=True)
class BodyLook:
    """One rigid body's shape and look. box: half_extents_m (3,) in its local axes; cylinder:
    half_extents_m = (radius, radius, half length), its axis along local z."""

    shape: str  # box | cylinder
    half_extents_m: tuple[float, float, float]
    color_rgb: tuple[float, float, float]
    specular: float
    is_object: bool = True  # False: scenery (a platform) that is drawn but owns no mask


def _corners(look: BodyLook, pos: np.ndarray, rot: np.ndarray) -> np.ndarray:
    """(8, 3) corners of the body's local bounding box in the camera frame."""
    h = np.asarray(look.half_extents_m)
    signs = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)], dtype=np.float64)
    return pos[None, :] + (signs * h[None, :]) @ rot.T


def _shadow_points(points: np.ndarray, floor_y_m: float) -> np.ndarray:
    """Where points above the floor cast their shadow on it (along −light)."""
    s = (floor_y_m - points[:, 1]) / (-_LIGHT[1])
    return points - np.maximum(s, 0.0)[:, None] * _LIGHT[None, :]


def footprint_px(camera: PinholeCamera, look: BodyLook, pos: np.ndarray, rot: np.ndarray,
                 offset_px: tuple[float, float], *, with_shadow: bool = True) -> tuple[int, int, int, int] | None:
    """(u0, u1, v0, v1) pixel rectangle (clipped) that the body, and its shadow, can touch; None if off-picture."""
    pts = _corners(look, pos, rot)
    if with_shadow:
        pts = np.concatenate([pts, _shadow_points(pts, camera.floor_y_m)])
    if np.any(pts[:, 2] <= 0.05):
        return None
    uv = camera.project(pts) + np.asarray(offset_px)[None, :]
    u0 = max(int(np.floor(uv[:, 0].min())) - 2, 0)
    u1 = min(int(np.ceil(uv[:, 0].max())) + 2, camera.width)
    v0 = max(int(np.floor(uv[:, 1].min())) - 2, 0)
    v1 = min(int(np.ceil(uv[:, 1].max())) + 2, camera.height)
    if u0 >= u1 or v0 >= v1:
        return None
    return u0, u1, v0, v1


def _merge_rects(rects: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    rects = list(rects)
    merged = True
    while merged:
        merged = False
        for i in range(len(rects)):
            for j in range(i + 1, len(rects)):
                a, b = rects[i], rects[j]
                if a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]:
                    rects[i] = (min(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), max(a[3], b[3]))
                    del rects[j]
                    merged = True
                    break
            if merged:
                break
    return rects


def ray_hits(look: BodyLook, pos: np.ndarray, rot: np.ndarray, origins: np.ndarray, dirs: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
    """Rays origins + t·dirs (N, 3) against one body → (t (N,), inf where missed; world normals (N, 3))."""
    o = (origins - pos[None, :]) @ rot  # into the body's frame (rot's columns are its axes)
    d = dirs @ rot
    h = np.asarray(look.half_extents_m)
    n_local = np.zeros_like(o)
    if look.shape == "box":
        safe = np.where(np.abs(d) < _EPS, _EPS, d)
        t1 = (-h[None, :] - o) / safe
        t2 = (h[None, :] - o) / safe
        t_near = np.minimum(t1, t2)
        t_far = np.maximum(t1, t2)
        axis = np.argmax(t_near, axis=1)
        t_in = t_near.max(axis=1)
        t_out = t_far.min(axis=1)
        hit = (t_out >= np.maximum(t_in, 0.0)) & (t_in > 1e-6)
        t = np.where(hit, t_in, np.inf)
        rows = np.arange(o.shape[0])
        n_local[rows, axis] = -np.sign(d[rows, axis])
    else:
        r, half_len = h[0], h[2]
        a = d[:, 0] ** 2 + d[:, 1] ** 2
        b = 2.0 * (o[:, 0] * d[:, 0] + o[:, 1] * d[:, 1])
        c = o[:, 0] ** 2 + o[:, 1] ** 2 - r * r
        disc = b * b - 4.0 * a * c
        with np.errstate(invalid="ignore", divide="ignore"):
            t_side = (-b - np.sqrt(np.maximum(disc, 0.0))) / (2.0 * np.maximum(a, _EPS))
        z_side = o[:, 2] + t_side * d[:, 2]
        side_ok = (disc >= 0) & (a > _EPS) & (np.abs(z_side) <= half_len) & (t_side > 1e-6)
        t_side = np.where(side_ok, t_side, np.inf)
        safe_z = np.where(np.abs(d[:, 2]) < _EPS, _EPS, d[:, 2])
        cap_z = -np.sign(safe_z) * half_len  # the cap the ray meets first
        t_cap = (cap_z - o[:, 2]) / safe_z
        px, py = o[:, 0] + t_cap * d[:, 0], o[:, 1] + t_cap * d[:, 1]
        cap_ok = (px * px + py * py <= r * r) & (t_cap > 1e-6)
        t_cap = np.where(cap_ok, t_cap, np.inf)
        use_cap = t_cap < t_side
        t = np.minimum(t_side, t_cap)
        ps = o + np.where(np.isfinite(t), t, 0.0)[:, None] * d
        n_local[:, 0] = np.where(use_cap, 0.0, ps[:, 0] / r)
        n_local[:, 1] = np.where(use_cap, 0.0, ps[:, 1] / r)
        n_local[:, 2] = np.where(use_cap, np.sign(cap_z), 0.0)
    return t, n_local @ rot.T


def bake_scenery(background_padded: np.ndarray, *, camera: PinholeCamera, margin_px: int,
                 looks: list[BodyLook], poses: list[tuple[np.ndarray, np.ndarray]], wall_z_m: float,
                 cast_shadows: bool = True) -> np.ndarray:
    """The padded background with the static scenery (and its shadow) drawn in, once per clip."""
    h, w = background_padded.shape[:2]
    padded_cam = PinholeCamera(w, h, camera.focal_px, camera.cx_px + margin_px, camera.cy_px + margin_px,
                               camera.floor_y_m)
    solid = [BodyLook(lk.shape, lk.half_extents_m, lk.color_rgb, lk.specular, True) for lk in looks]
    frame, _ = render_rigid_frame(background_padded, camera=padded_cam, margin_px=0, offset_px=(0.0, 0.0),
                                  looks=solid, poses=poses, wall_z_m=wall_z_m, cast_shadows=cast_shadows)
    return frame


def render_rigid_frame(background_padded: np.ndarray, *, camera: PinholeCamera, margin_px: int,
                       offset_px: tuple[float, float], looks: list[BodyLook],
                       poses: list[tuple[np.ndarray, np.ndarray]], wall_z_m: float,
                       cast_shadows: bool = True) -> tuple[np.ndarray, list[tuple[int, int, np.ndarray] | None]]:
    """One frame (H, W, 3) float32 in [0, 1] before noise, and per body the pixels it owns
    ((y0, x0, bool crop) or None; always None for scenery).

    poses: per body (centre (3,), rotation (3, 3) whose columns are the body's axes), camera frame.
    cast_shadows: False draws no body's shadow (a scene's shadow-free twin: what shadows cost a
    segmenter, measured on the same motion).
    """
    if margin_px == 0:  # the picture is the background as it is (bake_scenery)
        frame = background_padded.astype(np.float32, copy=True)
    else:
        frame = shift_image(background_padded, offset_px, margin_px=margin_px, width=camera.width,
                            height=camera.height).copy()
    owned: list[tuple[int, int, np.ndarray] | None] = [None] * len(looks)
    foot = [footprint_px(camera, lk, p, r, offset_px) for lk, (p, r) in zip(looks, poses)]
    # scenery is static and drawn into the background once (`bake_scenery`): here it only hides
    # what passes behind it, so its footprint does not make a region of its own
    rects = _merge_rects([f for f, lk in zip(foot, looks) if f is not None and lk.is_object])
    dx, dy = offset_px
    light = _LIGHT.astype(np.float64)
    for u0, u1, v0, v1 in rects:
        members = [i for i, f in enumerate(foot)
                   if f is not None and f[0] < u1 and u0 < f[1] and f[2] < v1 and v0 < f[3]]
        h, w = v1 - v0, u1 - u0
        sub = (np.arange(SS) + 0.5) / SS
        us = (u0 + np.repeat(np.arange(w), SS) + np.tile(sub, w)) - dx  # shake moves the picture by +offset
        vs = (v0 + np.repeat(np.arange(h), SS) + np.tile(sub, h)) - dy
        uu, vv = np.meshgrid(us, vs)  # (h·SS, w·SS)
        dirs = np.stack([(uu - camera.cx_px) / camera.focal_px, (vv - camera.cy_px) / camera.focal_px,
                         np.ones_like(uu)], -1).reshape(-1, 3)
        origins = np.zeros_like(dirs)
        best_t = np.full(dirs.shape[0], np.inf)
        best_i = np.full(dirs.shape[0], -1)
        best_n = np.zeros_like(dirs)
        for i in members:
            t, n = ray_hits(looks[i], poses[i][0], poses[i][1], origins, dirs)
            closer = t < best_t
            best_t[closer], best_i[closer], best_n[closer] = t[closer], i, n[closer]
        bg = np.repeat(np.repeat(frame[v0:v1, u0:u1], SS, axis=0), SS, axis=1).reshape(-1, 3).astype(np.float64)
        # shadows: floor samples whose way to the light is blocked by a body
        miss = best_i < 0
        floor_t = np.where(dirs[:, 1] > 1e-6, camera.floor_y_m / np.maximum(dirs[:, 1], 1e-6), np.inf)
        on_floor = miss & (floor_t * dirs[:, 2] < wall_z_m)
        if cast_shadows and on_floor.any():
            idx = np.nonzero(on_floor)[0]
            pts = dirs[idx] * floor_t[idx, None]
            to_light = np.broadcast_to(light, pts.shape)
            blocked = np.zeros(idx.size, bool)
            for i in members:
                if not looks[i].is_object:
                    continue  # its shadow is in the background already
                t, _ = ray_hits(looks[i], poses[i][0], poses[i][1], pts, to_light)
                blocked |= np.isfinite(t)
            bg[idx[blocked]] *= SHADOW_FACTOR
        col = bg
        hit = ~miss & np.isin(best_i, [i for i in members if looks[i].is_object])  # scenery: the background
        if hit.any():
            n = best_n[hit]
            lam = np.clip(n @ light, 0.0, 1.0)
            spec = np.clip(n @ _HALF.astype(np.float64), 0.0, 1.0) ** 40
            colors = np.array([looks[i].color_rgb for i in range(len(looks))], dtype=np.float64)
            speculars = np.array([looks[i].specular for i in range(len(looks))], dtype=np.float64)
            ids = best_i[hit]
            col[hit] = (0.3 + 0.75 * lam)[:, None] * colors[ids] + (speculars[ids] * spec)[:, None]
        col = col.reshape(h, SS, w, SS, 3).mean(axis=(1, 3))
        frame[v0:v1, u0:u1] = np.clip(col, 0.0, 1.0).astype(np.float32)
        ids = best_i.reshape(h, SS, w, SS)
        for i in members:
            if not looks[i].is_object:
                continue
            share = (ids == i).sum(axis=(1, 3))
            mask = share * 2 >= SS * SS
            if mask.any():
                owned[i] = (v0, u0, mask)
    return frame, owned
