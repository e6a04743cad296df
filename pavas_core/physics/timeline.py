"""The physics timeline view: speed per object over time, impacts sized by ΔKE, mass labels.

Two forms of the same view: `timeline_data` (a small JSON-able dict, drawn interactively by the
ComfyUI web widget) and `render_timeline_image` (an RGB picture for the preview IMAGE output).
numpy + Pillow only.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..limits import check_picture_size
from .tracks import PhysicsTracks

TIMELINE_SCHEMA = 1
# Distinct colours for objects (RGB), reused cyclically; the web widget uses the same list.
OBJECT_COLORS = (
    (66, 165, 245), (239, 83, 80), (102, 187, 106), (255, 167, 38),
    (171, 71, 188), (38, 198, 218), (236, 64, 122), (212, 225, 87),
)


def _downsample_indices(num_frames: int, max_points: int) -> np.ndarray:
    if num_frames <= max_points:
        return np.arange(num_frames)
    return np.unique(np.linspace(0, num_frames - 1, max_points).round().astype(int))


def timeline_data(tracks: PhysicsTracks, *, max_points: int = 600) -> dict[str, Any]:
    """A compact description of the tracks for plotting (speeds decimated to ≤ max_points per object).

    {"schema", "fps", "duration_s", "max_speed_mps", "max_delta_ke_j", "warnings",
     "objects": [{"id", "name", "action", "mass_kg", "mass_source", "material", "color",
                  "time_s": [...], "speed_mps": [... | None], "impacts": [{"time_s", "delta_ke_j",
                  "v_before", "v_after", "marker_radius_px"}]}]}
    """
    idx = _downsample_indices(tracks.num_frames, max(2, int(max_points)))
    times = [round(float(i) / tracks.fps, 4) for i in idx]
    objects = []
    max_speed = 0.0
    max_dke = 0.0
    for n, obj in enumerate(tracks.objects):
        speeds = []
        for i in idx:
            s = obj.speed_mps[i] if i < len(obj.speed_mps) else None
            if s is not None and math.isfinite(s):
                speeds.append(round(float(s), 4))
                max_speed = max(max_speed, float(s))
            else:
                speeds.append(None)
        impacts = []
        for imp in obj.impacts:
            impacts.append({
                "time_s": round(float(imp.time_s), 4),
                "delta_ke_j": float(imp.delta_ke_j),
                "v_before": round(float(imp.v_before), 4),
                "v_after": round(float(imp.v_after), 4),
            })
            if math.isfinite(imp.delta_ke_j):
                max_dke = max(max_dke, abs(float(imp.delta_ke_j)))
        objects.append({
            "id": obj.id,
            "name": obj.name,
            "action": obj.action,
            "mass_kg": float(obj.mass_kg),
            "mass_source": obj.mass_source,
            "material": obj.material,
            "color": "#%02x%02x%02x" % OBJECT_COLORS[n % len(OBJECT_COLORS)],
            "time_s": times,
            "speed_mps": speeds,
            "impacts": impacts,
        })
    for obj in objects:  # marker sizes need the largest ΔKE of the clip; the frontend draws them as given
        for imp in obj["impacts"]:
            imp["marker_radius_px"] = round(impact_marker_radius_px(imp["delta_ke_j"], max_dke), 2)
    return {
        "schema": TIMELINE_SCHEMA,
        "fps": float(tracks.fps),
        "duration_s": float(tracks.duration_s),
        "max_speed_mps": max_speed,
        "max_delta_ke_j": max_dke,
        "warnings": list(tracks.warnings),
        "objects": objects,
    }


def impact_marker_radius_px(delta_ke_j: float, max_delta_ke_j: float, *, min_px: float = 3.0, max_px: float = 12.0) -> float:
    """Marker radius growing with log ΔKE (loudness follows 10·log10 ΔKE), relative to the largest impact."""
    if not (max_delta_ke_j > 0 and math.isfinite(delta_ke_j)) or delta_ke_j <= 0:
        return min_px
    # 40 dB of energy range below the largest impact maps onto the radius range
    level_db = 10.0 * math.log10(delta_ke_j / max_delta_ke_j)
    frac = min(1.0, max(0.0, 1.0 + level_db / 40.0))
    return min_px + frac * (max_px - min_px)


def render_timeline_image(tracks: PhysicsTracks, *, width_px: int = 768, height_px: int = 320) -> np.ndarray:
    """Plot speed (m/s) against time (s) per object with impact markers → (H, W, 3) uint8 RGB."""
    from PIL import Image, ImageDraw

    width_px, height_px = check_picture_size(max(160, int(width_px)), max(120, int(height_px)), "the plot")
    data = timeline_data(tracks, max_points=width_px)
    img = Image.new("RGB", (width_px, height_px), (24, 24, 28))
    draw = ImageDraw.Draw(img)
    left, right, top, bottom = 48, 12, 12 + 14 * max(1, len(data["objects"])), 24
    plot_w, plot_h = width_px - left - right, max(20, height_px - top - bottom)
    duration = max(data["duration_s"], 1e-6)
    v_max = data["max_speed_mps"] * 1.1 or 1.0

    def xy(t: float, v: float) -> tuple[float, float]:
        return left + plot_w * t / duration, top + plot_h * (1.0 - v / v_max)

    # axes and a few grid lines with values
    draw.rectangle([left, top, left + plot_w, top + plot_h], outline=(90, 90, 100))
    for k in range(1, 4):
        y = top + plot_h * k / 4
        draw.line([left, y, left + plot_w, y], fill=(45, 45, 52))
        draw.text((4, y - 6), f"{v_max * (1 - k / 4):.1f}", fill=(150, 150, 160))
    draw.text((4, top - 6), f"{v_max:.1f}", fill=(150, 150, 160))
    draw.text((4, top + plot_h + 6), "m/s", fill=(150, 150, 160))
    for k in range(0, 5):
        t = duration * k / 4
        x = left + plot_w * k / 4
        draw.text((x - 8, top + plot_h + 6), f"{t:.1f}s", fill=(150, 150, 160))

    for n, obj in enumerate(data["objects"]):
        color = OBJECT_COLORS[n % len(OBJECT_COLORS)]
        segment: list[tuple[float, float]] = []
        for t, v in zip(obj["time_s"], obj["speed_mps"]):
            if v is None:  # not visible: break the line
                if len(segment) > 1:
                    draw.line(segment, fill=color, width=2)
                segment = []
                continue
            segment.append(xy(t, v))
        if len(segment) > 1:
            draw.line(segment, fill=color, width=2)
        for imp in obj["impacts"]:
            r = imp["marker_radius_px"]
            x, y = xy(imp["time_s"], min(imp["v_before"], v_max))
            draw.ellipse([x - r, y - r, x + r, y + r], outline=(255, 255, 255), fill=color)
        label = f"{obj['name']}  {obj['mass_kg']:.3g} kg ({obj['mass_source']})  {len(obj['impacts'])} impact(s)"
        draw.text((left, 4 + 14 * n), label, fill=color)
    if not data["objects"]:
        draw.text((left + 8, top + plot_h / 2), "no moving object found", fill=(200, 200, 200))
    return np.asarray(img, dtype=np.uint8)


def edit_summary(before: PhysicsTracks, after: PhysicsTracks) -> list[dict[str, Any]]:
    """Per object: mass and material before and after an edit, for the edit node's panel."""
    previous = {obj.id: obj for obj in before.objects}
    rows = []
    for obj in after.objects:
        old = previous.get(obj.id)
        rows.append({
            "id": obj.id,
            "name": obj.name,
            "mass_before_kg": float(old.mass_kg) if old is not None else None,
            "mass_after_kg": float(obj.mass_kg),
            "material_before": old.material if old is not None else None,
            "material_after": obj.material,
            "impacts": len(obj.impacts),
        })
    return rows
