"""Geometry from a synthetic scene's true depth: the world-frame mathematics checked without any network.

`TrueDepthGeometry` is a point-map geometry backend (physics/stages/pointmap_geometry.py) whose
depth is the scene's exact depth per pixel (depth.py), so what it gets wrong is the shared
mathematics: centroids of masked points, camera poses from the background, the world frame, the
trajectory fit. It is used by the bench (bench/world_speed.py) and the tests, never registered as a
backend a user can pick.

poses: "true" (the scene's own camera poses and exact points), "background" (estimated from the pictures, as for a
depth model without poses; the depth picture is unprojected with the pinhole, so shake must be
found in the background too) or "none" (no camera motion compensation: speeds in the camera frame,
the comparison the bench makes).
"""

from __future__ import annotations

from typing import Any

from ..physics.pointmaps import PointMaps, depth_to_points
from ..physics.stages.pointmap_geometry import PointMapGeometry
from .depth import camera_to_world, depth_frames
from .scene import SceneSpec

POSES = ("true", "background", "none")


class TrueDepthGeometry(PointMapGeometry):
    name = "true_depth"

    def __init__(self, scene: SceneSpec, *, poses: str = "background") -> None:
        if poses not in POSES:
            raise ValueError(f"poses must be one of {POSES}, got {poses!r}")
        self.scene = scene
        self.poses = poses
        self.frame = "camera" if poses == "none" else "world"

    def point_maps(self, ctx, discovery, observation, options: Any, progress=None) -> PointMaps:
        import numpy as np

        scale = ctx.grid_size[0] / self.scene.camera.width
        cam = self.scene.camera
        focal = cam.focal_px * scale
        poses = None
        if self.poses == "true":  # the exact points and poses: nothing left to estimate
            points = depth_frames(self.scene, scale=scale, points=True)
            poses = camera_to_world(self.scene)
        else:  # a depth picture, unprojected as a depth model's would be
            points = depth_to_points(depth_frames(self.scene, scale=scale), focal, cam.cx_px * scale,
                                     cam.cy_px * scale)
            if self.poses == "none":
                poses = np.tile(np.eye(4), (self.scene.num_frames, 1, 1))
        return PointMaps(points, focal_px=focal, source="ground_truth", metric=True, camera_to_world=poses,
                         focal_source="ground_truth")
