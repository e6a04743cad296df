"""Pinhole camera of the synthetic scenes.

Camera frame (also used for every 3D quantity the generator writes): x right, y down, z forward
(the OpenCV convention). The camera is level, so gravity points along +y; the floor is the plane
y = floor_y_m (the camera's height above the floor). Camera shake is modelled as a small image
translation per frame (a small rotation of a long-focal camera), recorded in pixels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PinholeCamera:
    width: int
    height: int
    focal_px: float
    cx_px: float
    cy_px: float
    floor_y_m: float  # camera height above the floor plane (the floor is y = floor_y_m)

    @classmethod
    def from_fov(cls, width: int, height: int, *, hfov_deg: float, floor_y_m: float) -> "PinholeCamera":
        focal_px = 0.5 * width / math.tan(math.radians(hfov_deg) / 2.0)
        return cls(width, height, focal_px, width / 2.0, height / 2.0, floor_y_m)

    def project(self, points_m: np.ndarray) -> np.ndarray:
        """(..., 3) camera-frame points → (..., 2) pixel coordinates (u right, v down)."""
        p = np.asarray(points_m, dtype=np.float64)
        z = p[..., 2]
        return np.stack([self.cx_px + self.focal_px * p[..., 0] / z, self.cy_px + self.focal_px * p[..., 1] / z], -1)

    def unproject(self, u_px: np.ndarray, v_px: np.ndarray, z_m: np.ndarray) -> np.ndarray:
        """Pixel coordinates at depth z → (..., 3) camera-frame points."""
        z = np.asarray(z_m, dtype=np.float64)
        x = (np.asarray(u_px, dtype=np.float64) - self.cx_px) * z / self.focal_px
        y = (np.asarray(v_px, dtype=np.float64) - self.cy_px) * z / self.focal_px
        return np.stack(np.broadcast_arrays(x, y, z), -1)

    def to_dict(self) -> dict:
        return {
            "width": self.width,
            "height": self.height,
            "focal_px": self.focal_px,
            "cx_px": self.cx_px,
            "cy_px": self.cy_px,
            "floor_y_m": self.floor_y_m,
            "axes": "x right, y down, z forward (camera frame, level camera, gravity along +y)",
        }
