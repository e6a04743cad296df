"""The true depth of every pixel of a synthetic scene, and its camera poses: ground truth for
geometry backends (what a perfect depth model would give).

Depth is z in the frame's camera (x right, y down, z forward), in metres, at the pixel centres
of a grid `scale` times the video's size (the analysis grid of the estimator: pixel i covers the
video's pixels [i/scale, (i+1)/scale)). The room is ray-cast (floor plane, back wall) from where
the camera is; a sphere is ray-cast exactly; a box, drawn by the renderer as a square facing the
camera, is its front face. Shake, an image translation in the renderer, shifts the depth picture
the same way. Motion blur is not modelled (depth at the frame's instant).
"""

from __future__ import annotations

import numpy as np

from .scene import SceneSpec, shake_offsets_px, simulate_scene
from .simulate import Trajectory


def grid_size(scene: SceneSpec, scale: float) -> tuple[int, int]:
    """(w, h) of the grid `scale` times the video's size (as the estimator rounds it)."""
    return max(1, round(scene.camera.width * scale)), max(1, round(scene.camera.height * scale))


def depth_frames(scene: SceneSpec, trajectories: list[Trajectory] | None = None, *, scale: float = 1.0,
                 points: bool = False) -> np.ndarray:
    """(T, h, w) float32 true depth (m) of every frame on the grid `scale` × the video's size.

    points=True: (T, h, w, 3) the exact camera-frame point each pixel shows instead (a shaken
    picture's pixel shows the point on the unshaken camera's ray through the pixel minus the shake;
    a plain pinhole unprojection of the depth reads shake as motion, these points do not)."""
    trajectories = simulate_scene(scene) if trajectories is None else trajectories
    cam = scene.camera
    w, h = grid_size(scene, scale)
    sx, sy = cam.width / w, cam.height / h  # video pixels per grid pixel
    u = (np.arange(w) + 0.5) * sx
    v = (np.arange(h) + 0.5) * sy
    offsets = shake_offsets_px(scene)
    times = scene.frame_times_s
    cam_pos = scene.camera_position_m(times)
    out = np.empty((scene.num_frames, h, w, 3) if points else (scene.num_frames, h, w), np.float32)
    for k, t in enumerate(times):
        dx = ((u - offsets[k, 0]) - cam.cx_px) / cam.focal_px  # the unshaken camera's ray through each pixel
        dy = ((v - offsets[k, 1]) - cam.cy_px) / cam.focal_px
        ox, oy, oz = cam_pos[k]
        with np.errstate(divide="ignore"):
            s_floor = np.where(dy > 1e-9, (cam.floor_y_m - oy) / np.maximum(dy, 1e-9), np.inf)
        depth = np.minimum(s_floor[:, None], scene.wall_z_m - oz) * np.ones((1, w))
        placed = []
        for obj, traj in zip(scene.objects, trajectories):
            pos, _ = traj.state_at(np.array([t]))
            placed.append((obj, pos[0] - cam_pos[k]))
        for obj, c in sorted(placed, key=lambda oc: -oc[1][2]):  # far to near, as drawn
            _draw_object_depth(depth, dx, dy, c, obj.kind.size_m / 2.0, obj.kind.shape, cam.focal_px)
        if points:
            out[k] = depth[..., None] * np.stack(np.broadcast_arrays(dx[None, :], dy[:, None], 1.0), axis=-1)
        else:
            out[k] = depth
    return out


def _draw_object_depth(depth: np.ndarray, dx: np.ndarray, dy: np.ndarray, centre: np.ndarray, radius_m: float,
                       shape: str, focal_px: float) -> None:
    """Write one object's depth into `depth` (h, w) where its outline covers the pixel centre."""
    cx, cy, cz = centre
    if cz <= 0.05:
        return
    r_rays = radius_m / cz * 1.5  # a generous window in ray units, then exact tests inside it
    cols = np.flatnonzero(np.abs(dx - cx / cz) <= r_rays + 1.0 / focal_px)
    rows = np.flatnonzero(np.abs(dy - cy / cz) <= r_rays + 1.0 / focal_px)
    if cols.size == 0 or rows.size == 0:
        return
    ddx, ddy = dx[cols][None, :], dy[rows][:, None]
    if shape == "sphere":
        b = ddx * cx + ddy * cy + cz
        a = ddx**2 + ddy**2 + 1.0
        disc = b * b - a * (cx * cx + cy * cy + cz * cz - radius_m**2)
        hit = disc >= 0
        s = (b - np.sqrt(np.maximum(disc, 0.0))) / a
    else:  # the renderer's box: a square of half side f·r/z around the projected centre
        half = radius_m / cz
        hit = (np.abs(ddx - cx / cz) <= half) & (np.abs(ddy - cy / cz) <= half)
        s = np.full(hit.shape, cz - radius_m)
    region = depth[rows[0]: rows[-1] + 1, cols[0]: cols[-1] + 1]
    region[hit] = s[hit]


def camera_to_world(scene: SceneSpec) -> np.ndarray:
    """(T, 4, 4) true camera poses: the travelling camera's translation (world = its place at time 0).

    Shake is an image translation in the renderer, not a camera pose, so it is not in these poses."""
    poses = np.tile(np.eye(4), (scene.num_frames, 1, 1))
    poses[:, :3, 3] = scene.camera_position_m(scene.frame_times_s)
    return poses
