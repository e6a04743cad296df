"""Generated clips with exact ground truth (boxes and masks) for the perception backends' tests."""

from __future__ import annotations

import pytest

from pavas_core.scenes.camera import PinholeCamera
from pavas_core.scenes.catalog import kind_by_name
from pavas_core.scenes.scene import SceneObject, SceneSpec, ground_truth_tracks, render_frames_and_masks, \
    simulate_scene
from pavas_core.scenes.simulate import BodySpec
from pavas_core.video import clip_from_frames


def ball_scene(*, width=320, height=240, fps=30.0, duration_s=2.5, seed=1,
               balls=(("basketball", 0.2, 0.3, 0.8),)) -> SceneSpec:
    """Balls (catalog name, start u and v as fractions of the picture, horizontal speed m/s) thrown up
    and bouncing, static camera; the default is tests/physics' bouncing_ball."""
    depth_m = 3.0
    camera = PinholeCamera.from_fov(width, height, hfov_deg=60.0, floor_y_m=0.0)
    floor_y = (0.85 * height - height / 2) * depth_m / camera.focal_px
    camera = PinholeCamera(width, height, camera.focal_px, width / 2, height / 2, floor_y)
    objects = []
    for name, uf, vf, vx in balls:
        kind = kind_by_name(name)
        x = (uf * width - width / 2) * depth_m / camera.focal_px
        y = (vf * height - height / 2) * depth_m / camera.focal_px
        body = BodySpec(position_m=(x, y, depth_m), velocity_mps=(vx, -1.0, 0.0), radius_m=kind.size_m / 2,
                        restitution=kind.restitution)
        objects.append(SceneObject(kind, "thrown", body, kind.color_rgb))
    return SceneSpec(scene_id="test", seed=seed, fps=fps, num_frames=int(round(duration_s * fps)), camera=camera,
                     floor_style="stone", wall_z_m=depth_m + 2.0, objects=tuple(objects),
                     shake_amplitude_px=0.0, noise_sigma_dn=2.0, shutter_fraction=0.0)


def render(scene: SceneSpec):
    """→ (clip, ground truth with exact masks)."""
    traj = simulate_scene(scene)
    frames, masks = render_frames_and_masks(scene, traj)
    return clip_from_frames(frames, scene.fps), ground_truth_tracks(scene, traj, masks=masks)


@pytest.fixture(scope="session")
def ball():
    """320x240, 30 fps, 2.5 s (75 frames): for backends driven by fakes or by motion."""
    return render(ball_scene())


@pytest.fixture(scope="session")
def short_ball():
    """160x120, 10 fps, 1.6 s (16 frames): short enough for a random-weight SAM-2 on a CPU."""
    return render(ball_scene(width=160, height=120, fps=10.0, duration_s=1.6))


@pytest.fixture(scope="session")
def two_balls():
    """A basketball on the left and a volleyball on the right, thrown apart (they never meet)."""
    return render(ball_scene(balls=(("basketball", 0.25, 0.3, -0.3), ("volleyball", 0.75, 0.3, 0.3)),
                             duration_s=2.0))
