"""Controlled synthetic scenes (exact ground truth) for the physics estimator's tests."""

from __future__ import annotations

import numpy as np
import pytest

from pavas_core.scenes.camera import PinholeCamera
from pavas_core.scenes.catalog import kind_by_name
from pavas_core.scenes.scene import SceneObject, SceneSpec, ground_truth_tracks, render_frames, simulate_scene
from pavas_core.scenes.simulate import BodySpec
from pavas_core.video import clip_from_frames


def build_scene(objects: list[tuple[str, tuple, tuple, dict]], *, width=320, height=240, fps=30.0,
                duration_s=2.5, depth_m=3.0, shake_px=0.0, noise=2.0, shutter=0.0, seed=1,
                floor_style="stone") -> SceneSpec:
    """objects: (catalog name, start position as (u_frac, v_frac) of the picture, velocity m/s, BodySpec overrides)."""
    camera = PinholeCamera.from_fov(width, height, hfov_deg=60.0, floor_y_m=0.0)
    floor_y = (0.85 * height - height / 2) * depth_m / camera.focal_px
    camera = PinholeCamera(width, height, camera.focal_px, width / 2, height / 2, floor_y)
    made = []
    for name, (uf, vf), vel, extra in objects:
        kind = kind_by_name(name)
        z = extra.pop("z", depth_m)
        x = (uf * width - width / 2) * z / camera.focal_px
        y = (vf * height - height / 2) * z / camera.focal_px
        if extra.pop("on_floor", False):
            y = floor_y - kind.size_m / 2
        body = BodySpec(position_m=(x, y, z), velocity_mps=tuple(vel), radius_m=kind.size_m / 2,
                        restitution=extra.pop("restitution", kind.restitution), **extra)
        made.append(SceneObject(kind, "thrown", body, kind.color_rgb))
    return SceneSpec(scene_id="test", seed=seed, fps=fps, num_frames=int(round(duration_s * fps)), camera=camera,
                     floor_style=floor_style, wall_z_m=depth_m + 2.0, objects=tuple(made),
                     shake_amplitude_px=shake_px, noise_sigma_dn=noise, shutter_fraction=shutter)


def render(scene: SceneSpec):
    """→ (clip, ground truth)."""
    traj = simulate_scene(scene)
    return clip_from_frames(render_frames(scene, traj), scene.fps), ground_truth_tracks(scene, traj)


@pytest.fixture(scope="session")
def bouncing_ball():
    """A basketball thrown in from the left, bouncing three times, static camera."""
    scene = build_scene([("basketball", (0.2, 0.3), (0.8, -1.0, 0.0), {})])
    return render(scene)


@pytest.fixture(scope="session")
def bouncing_ball_shaky():
    scene = build_scene([("basketball", (0.2, 0.3), (0.8, -1.0, 0.0), {})], shake_px=2.5, seed=3)
    return render(scene)


@pytest.fixture(scope="session")
def crossing_balls():
    """Two balls of different colours thrown towards each other at different depths: they cross."""
    scene = build_scene([
        ("basketball", (0.12, 0.35), (1.6, -2.0, 0.0), {"z": 3.3}),
        ("volleyball", (0.88, 0.35), (-1.6, -2.0, 0.0), {"z": 2.8}),
    ], duration_s=2.0, seed=5)
    return render(scene)


def gt_uv(scene_truth, obj: int, frame: int, clip_width: int) -> np.ndarray | None:
    """Projected position of a ground-truth object in the clip's pixels (for identity checks)."""
    c = scene_truth.objects[obj].centroid_m[frame]
    if c is None:
        return None
    cam = scene_truth.geometry.extra["camera"]
    off = scene_truth.geometry.extra["shake_offsets_px"][frame]
    return np.array([cam["cx_px"] + cam["focal_px"] * c[0] / c[2] + off[0],
                     cam["cy_px"] + cam["focal_px"] * c[1] / c[2] + off[1]])


@pytest.fixture
def scene_tools():
    """(build_scene, render, gt_uv) for tests that make their own scene."""
    return build_scene, render, gt_uv
