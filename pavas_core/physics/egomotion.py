"""Camera motion from the background: per-frame camera poses from pictures and depth.

A geometry source that gives depth but no camera poses (a metric depth model, MoGe, DA3 in
mono mode, the scene's true depth) cannot tell object motion from camera motion by itself. The
static part of the scene can: its points, seen with depth in one frame, must appear in the next
frame where the camera's motion puts them. For each frame the rigid motion that best explains the
picture is found by dense direct alignment (photometric Gauss–Newton on SE(3), as in dense visual
odometry): background pixels of a reference frame with depth and texture are moved in 3D by the
candidate motion, projected into the frame, and their brightness compared; the six motion
parameters are updated until the brightness agrees. Pixels of moving objects (their masks,
slightly dilated) are never used, and robust (Huber) weights discount occlusions and depth
errors. Coarse-to-fine smoothing of the pictures widens the range of motions found.

The reference frame (keyframe) is kept while most of its pixels stay in view, so a shaking camera
is measured against one frame and does not drift; a camera that travels gets a new keyframe when
the view has moved on. World = the first frame's camera.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

BLUR_SIGMAS = (4.0, 2.0, 1.0)  # coarse to fine
ITERATIONS = 8
MAX_POINTS = 6000
MIN_POINTS = 60
KEYFRAME_MIN_OVERLAP = 0.85
KEYFRAME_MAX_RESIDUAL_GROWTH = 1.25  # a new keyframe when the match degrades this much (parallax, lighting)
OBJECT_MARGIN_PX = 3


@dataclass
class CameraMotion:
    camera_to_world: np.ndarray  # (T, 4, 4), frame 0 = identity
    residual_dn: np.ndarray  # (T,) median |brightness error| after alignment (grey levels)
    points_used: np.ndarray  # (T,) background points that constrained each frame
    keyframes: list[int]
    reliable: bool  # enough background everywhere
    note: str = ""


def _rodrigues(w: np.ndarray) -> np.ndarray:
    theta = float(np.linalg.norm(w))
    if theta < 1e-12:
        return np.eye(3)
    k = w / theta
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(theta) * kx + (1 - np.cos(theta)) * (kx @ kx)


def _gray(frame: np.ndarray) -> np.ndarray:
    f = frame.astype(np.float32)
    return 0.299 * f[..., 0] + 0.587 * f[..., 1] + 0.114 * f[..., 2]


class _Level:
    """One blurred picture with its gradients, sampled at real-valued pixel coordinates."""

    def __init__(self, gray: np.ndarray, sigma: float) -> None:
        self.img = ndimage.gaussian_filter(gray, sigma)
        gy, gx = np.gradient(self.img)
        self.gx, self.gy = gx.astype(np.float32), gy.astype(np.float32)
        self.h, self.w = gray.shape

    def sample(self, col: np.ndarray, row: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        coords = np.stack([row, col])
        return tuple(ndimage.map_coordinates(a, coords, order=1, mode="nearest") for a in (self.img, self.gx, self.gy))


def _align(ref_pts: np.ndarray, ref_val: list[np.ndarray], levels: list[_Level], blocked: np.ndarray,
           focal: float, cx: float, cy: float, init: np.ndarray) -> tuple[np.ndarray, float, int, float]:
    """Pose (4, 4) taking reference-camera points into the frame's camera, minimising the brightness error.

    ref_pts: (N, 3) reference points; ref_val[l]: (N,) their brightness at level l; blocked: (h, w)
    pixels of the frame that must not be matched (moving objects). → (pose, residual, points, overlap)."""
    pose = init.copy()
    h, w = blocked.shape
    residual, used, overlap = np.inf, 0, 0.0
    for lvl, level in enumerate(levels):
        for _ in range(ITERATIONS):
            x = ref_pts @ pose[:3, :3].T + pose[:3, 3]
            z = x[:, 2]
            front = z > 1e-3
            zs = np.where(front, z, 1.0)
            col = focal * x[:, 0] / zs + cx - 0.5
            row = focal * x[:, 1] / zs + cy - 0.5
            inside = front & (col >= 0) & (col <= w - 1) & (row >= 0) & (row <= h - 1)
            overlap = float(inside.mean()) if len(inside) else 0.0
            ci = np.clip(np.rint(col).astype(int), 0, w - 1)
            ri = np.clip(np.rint(row).astype(int), 0, h - 1)
            ok = inside & ~blocked[ri, ci]
            used = int(ok.sum())
            if used < MIN_POINTS:
                return pose, np.inf, used, overlap
            xo, zo, co, ro = x[ok], zs[ok], col[ok], row[ok]
            val, gx, gy = level.sample(co, ro)
            r = val - ref_val[lvl][ok]
            mad = 1.4826 * float(np.median(np.abs(r - np.median(r)))) + 1e-3
            k = 1.345 * mad
            wgt = np.where(np.abs(r) <= k, 1.0, k / np.maximum(np.abs(r), 1e-12))
            inv_z = 1.0 / zo
            du = np.stack([focal * inv_z, np.zeros_like(zo), -focal * xo[:, 0] * inv_z**2], 1)
            dv = np.stack([np.zeros_like(zo), focal * inv_z, -focal * xo[:, 1] * inv_z**2], 1)
            g = gx[:, None] * du + gy[:, None] * dv  # (M, 3): d brightness / d point
            # point moved by the twist (v, ω): δx = v + ω × x  →  d/dω = x × g
            jac = np.concatenate([g, np.cross(xo, g)], axis=1)
            a = jac.T @ (jac * wgt[:, None])
            b = jac.T @ (wgt * r)
            a += np.eye(6) * (1e-6 * np.trace(a) / 6 + 1e-9)
            step = -np.linalg.solve(a, b)
            upd = np.eye(4)
            upd[:3, :3] = _rodrigues(step[3:])
            upd[:3, 3] = step[:3]
            pose = upd @ pose
            residual = float(np.median(np.abs(r)))
            if np.linalg.norm(step[:3]) < 1e-6 and np.linalg.norm(step[3:]) < 1e-7:
                break
    return pose, residual, used, overlap


def _reference(points_cam: np.ndarray, usable: np.ndarray, levels: list[_Level]
               ) -> tuple[np.ndarray, list[np.ndarray]]:
    """Background points with texture of one frame: (N, 3) points and their brightness per level."""
    fine = levels[-1]
    grad = np.hypot(fine.gx, fine.gy)
    cand = np.flatnonzero((usable & (grad > 0.5)).ravel())
    if cand.size > MAX_POINTS:
        # the most textured pixels constrain the motion best; a regular subsample keeps them spread out
        order = np.argsort(grad.ravel()[cand])[::-1][: 3 * MAX_POINTS]
        cand = np.sort(cand[order])[:: max(1, (3 * MAX_POINTS) // MAX_POINTS)][:MAX_POINTS]
    rows, cols = np.unravel_index(cand, usable.shape)
    pts = points_cam[rows, cols].astype(np.float64)
    vals = [lvl.img[rows, cols].astype(np.float64) for lvl in levels]
    return pts, vals


def camera_motion(frames: np.ndarray, points_cam: np.ndarray, valid: np.ndarray, objects: np.ndarray,
                  focal_px: float, *, cx_px: float | None = None, cy_px: float | None = None) -> CameraMotion:
    """Camera-to-world poses of every frame from the static background.

    frames: (T, h, w, 3) uint8; points_cam: (T, h, w, 3) camera-frame points; valid: (T, h, w)
    points with depth; objects: (T, h, w) pixels of moving objects (never used). World = frame 0's
    camera."""
    t, h, w = frames.shape[:3]
    cx = w / 2.0 if cx_px is None else cx_px
    cy = h / 2.0 if cy_px is None else cy_px
    grown = np.stack([ndimage.binary_dilation(m, iterations=OBJECT_MARGIN_PX) if m.any() else m for m in objects])
    poses = np.tile(np.eye(4), (t, 1, 1))
    residual = np.zeros(t)
    used = np.zeros(t, int)
    keyframes = [0]
    levels_of = {}

    def levels(k: int) -> list[_Level]:
        if k not in levels_of:
            if len(levels_of) > 4:
                levels_of.clear()
            levels_of[k] = [_Level(_gray(frames[k]), s) for s in BLUR_SIGMAS]
        return levels_of[k]

    key = 0
    ref_pts, ref_val = _reference(points_cam[0], valid[0] & ~grown[0], levels(0))
    rel = np.eye(4)  # keyframe camera → current camera
    reliable = True
    notes = []
    first_residual = None
    for k in range(1, t):
        if len(ref_pts) < MIN_POINTS:
            pose_k, res, n_used, overlap = rel, np.inf, len(ref_pts), 0.0
        else:
            pose_k, res, n_used, overlap = _align(ref_pts, ref_val, levels(k), grown[k], focal_px, cx, cy, rel)
        if not np.isfinite(res):
            reliable = False
            notes.append(f"frame {k}: too little textured background with depth ({n_used} points); "
                         "its camera pose is carried over from the frame before")
            pose_k = rel
        rel = pose_k
        poses[k] = poses[key] @ np.linalg.inv(rel)
        residual[k] = res if np.isfinite(res) else np.nan
        used[k] = n_used
        if first_residual is None and np.isfinite(res):
            first_residual = res
        degraded = first_residual is not None and np.isfinite(res) and res > KEYFRAME_MAX_RESIDUAL_GROWTH * first_residual
        if overlap < KEYFRAME_MIN_OVERLAP or len(ref_pts) < MIN_POINTS or degraded:
            first_residual = None
            key = k
            keyframes.append(k)
            ref_pts, ref_val = _reference(points_cam[k], valid[k] & ~grown[k], levels(k))
            rel = np.eye(4)
    note = "; ".join(notes[:3]) + (f" (and {len(notes) - 3} more)" if len(notes) > 3 else "")
    return CameraMotion(poses, residual, used, keyframes, reliable, note)
