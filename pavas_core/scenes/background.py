"""Static textured background of a synthetic scene: a floor plane and a back wall, seen in perspective.

The texture is made of multi-octave value noise plus structure (planks or tiles on the floor,
framed pictures and a skirting board on the wall), so that a moving object is not trivially
separable from a flat background. It is rendered once per scene, supersampled 2× against aliasing,
with a margin around the image so that a shaken camera can look slightly beyond the frame.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from .camera import PinholeCamera

FLOOR_STYLES = ("wood", "stone", "ceramic")  # also the floor's material for the reference sound
FLOOR_RGB = {"wood": (0.55, 0.38, 0.22), "stone": (0.50, 0.50, 0.48), "ceramic": (0.80, 0.78, 0.74)}


def _value_noise(rng: np.random.Generator, coords: tuple[np.ndarray, np.ndarray], *, cell_m: float,
                 octaves: int = 3, grid: int = 64) -> np.ndarray:
    """Smooth noise in [-1, 1] at world coordinates `coords` (metres), periodic every grid·cell_m."""
    out = np.zeros(coords[0].shape, dtype=np.float32)
    amp, total = 1.0, 0.0
    for k in range(octaves):
        table = rng.uniform(-1.0, 1.0, size=(grid, grid)).astype(np.float32)
        scale = cell_m / (2.0**k)
        pts = np.stack([c / scale for c in coords])
        out += amp * ndimage.map_coordinates(table, pts, order=1, mode="grid-wrap").astype(np.float32)
        total += amp
        amp *= 0.55
    return out / total


def render_background(
    camera: PinholeCamera,
    *,
    rng: np.random.Generator,
    floor_style: str,
    wall_z_m: float,
    margin_px: int,
    wall_rgb: tuple[float, float, float] = (0.6, 0.6, 0.6),
    camera_position_m: tuple[float, float, float] | None = None,
) -> np.ndarray:
    """→ (H + 2·margin, W + 2·margin, 3) float32 RGB in [0, 1]; pixel (margin, margin) is image (0, 0).

    camera_position_m: where a travelling camera is (world = the camera's place at time 0, same
    orientation); the room's texture stays where it is in the world, so the picture shows parallax.
    None: the camera at the origin."""
    ss = 2
    h = (camera.height + 2 * margin_px) * ss
    w = (camera.width + 2 * margin_px) * ss
    # pixel centres in image coordinates
    u = (np.arange(w, dtype=np.float64) + 0.5) / ss - margin_px
    v = (np.arange(h, dtype=np.float64) + 0.5) / ss - margin_px
    uu, vv = np.meshgrid(u, v)
    dx = (uu - camera.cx_px) / camera.focal_px
    dy = (vv - camera.cy_px) / camera.focal_px
    ox, oy, oz = (0.0, 0.0, 0.0) if camera_position_m is None else camera_position_m
    with np.errstate(divide="ignore"):
        z_floor = np.where(dy > 1e-6, (camera.floor_y_m - oy) / np.maximum(dy, 1e-6), np.inf)
    on_floor = z_floor < wall_z_m - oz  # both along the ray from the camera
    img = np.empty((h, w, 3), dtype=np.float32)

    # --- wall: plaster noise, a few framed pictures, a skirting board ------------------------------
    # Textures are evaluated only where they show (wall pixels, inside a picture, floor pixels): the
    # noise is pointwise and the random draws come in the same order, so the picture is the same as
    # evaluating everything everywhere, at a third of the cost (a travelling camera renders per frame).
    on_wall = ~on_floor
    wx, wy = ox + dx[on_wall] * (wall_z_m - oz), oy + dy[on_wall] * (wall_z_m - oz)
    wall_tone = np.array(wall_rgb, dtype=np.float32)
    n = _value_noise(rng, (wx, wy), cell_m=0.25)
    fine = _value_noise(rng, (wx, wy), cell_m=0.03, octaves=2)
    wall = wall_tone[None, :] * (1.0 + 0.3 * n[:, None] + 0.12 * fine[:, None])
    half_w = 0.5 * camera.width / camera.focal_px * wall_z_m
    half_h = 0.5 * camera.height / camera.focal_px * wall_z_m
    for _ in range(int(rng.integers(2, 6))):
        pw, ph = rng.uniform(0.2, 0.8), rng.uniform(0.2, 0.6)
        px = rng.uniform(-half_w, half_w)
        py = rng.uniform(-half_h, max(-half_h + 0.01, camera.floor_y_m - ph - 0.3))
        inside = (np.abs(wx - px) < pw / 2) & (wy > py) & (wy < py + ph)
        frame = (np.abs(wx - px) < pw / 2 + 0.03) & (wy > py - 0.03) & (wy < py + ph + 0.03) & ~inside
        color = rng.uniform(0.1, 0.9, size=3).astype(np.float32)
        pattern = _value_noise(rng, (wx[inside], wy[inside]), cell_m=0.1, octaves=2)
        wall[inside] = color * (1.0 + 0.35 * pattern[:, None])
        wall[frame] = rng.uniform(0.05, 0.35)
    skirting = (wy > camera.floor_y_m - 0.1) & (wy <= camera.floor_y_m)
    wall[skirting] = rng.uniform(0.3, 0.6)  # a mid-tone board along the floor
    img[on_wall] = wall

    # --- floor: planks or tiles in perspective -----------------------------------------------------
    zf = np.where(on_floor, z_floor, wall_z_m - oz)
    fx = ox + dx * zf
    z_near = zf.min()
    if camera_position_m is not None:  # world depths, and the shading's reference of the camera at the origin
        z_near = min(float(camera.floor_y_m / dy.max()), wall_z_m) if dy.max() > 1e-6 else wall_z_m
        zf = zf + oz
    base = np.array(FLOOR_RGB[floor_style], dtype=np.float32) * rng.uniform(0.9, 1.1)
    fx, zf = fx[on_floor], zf[on_floor]
    grain = _value_noise(rng, (fx * 8.0, zf * 0.6), cell_m=0.05)  # stretched: wood grain / veining
    mottle = _value_noise(rng, (fx, zf), cell_m=0.2)
    if floor_style == "wood":
        plank_w = rng.uniform(0.1, 0.2)
        idx = np.floor(fx / plank_w).astype(np.int64)
        tones = rng.uniform(0.8, 1.2, size=256).astype(np.float32)
        tone = tones[idx % 256]
        gap = np.abs(fx / plank_w - np.round(fx / plank_w)) * plank_w < 0.004
        floor = base * (tone * (1.0 + 0.25 * grain + 0.1 * mottle))[:, None]
        floor[gap] *= 0.45
    else:
        tile = rng.uniform(0.25, 0.5)
        ix, iz = np.floor(fx / tile).astype(np.int64), np.floor(zf / tile).astype(np.int64)
        tones = rng.uniform(0.85, 1.15, size=(64, 64)).astype(np.float32)
        tone = tones[ix % 64, iz % 64]
        gx = np.abs(fx / tile - np.round(fx / tile)) * tile
        gz = np.abs(zf / tile - np.round(zf / tile)) * tile
        grout = np.minimum(gx, gz) < 0.006
        floor = base * (tone * (1.0 + 0.15 * grain + 0.15 * mottle))[:, None]
        floor[grout] = base * 0.5
    shade = np.clip(1.1 - 0.04 * (zf - z_near), 0.6, 1.1).astype(np.float32)  # dimmer far away
    img[on_floor] = floor * shade[:, None]

    # soft vignetting, then back to the image resolution
    r2 = dx**2 + dy**2
    img *= (1.0 - 0.25 * r2 / r2.max())[..., None].astype(np.float32)
    img = img.reshape(h // ss, ss, w // ss, ss, 3).mean(axis=(1, 3))
    return np.clip(img, 0.0, 1.0).astype(np.float32)
