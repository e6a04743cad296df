"""Geometry backend "depth": a metric depth model per frame + camera poses from the background.

For users without CUT3R: a transformers depth model (Depth Anything V2 metric, Depth Pro; see
models/depth_estimation.py) gives metres per pixel in each frame; the camera's motion is found
from the static background (egomotion.py) and each object's centroid is taken in the world frame
(stages/pointmap_geometry.py). The focal length is the user's, else Depth Pro's field of view,
else an assumed 60° field of view (named in the warnings: sideways metres scale with it).
"""

from __future__ import annotations

from typing import Any

from ...errors import BadInputError
from ..geometry import focal_from_fov
from ..pointmaps import PointMaps, depth_to_points
from .pointmap_geometry import PointMapGeometry
from .registry import BackendSetting, register_backend


class DepthModelGeometry(PointMapGeometry):
    name = "depth"

    def __init__(self, model_dir: str | None = None, model: Any = None, device: str | None = None,
                 dtype: Any = None, batch: int = 4, input_side: int | None = None) -> None:
        self.model_dir, self.model, self.device, self.dtype = model_dir, model, device, dtype
        self.batch, self.input_side = int(batch), input_side

    def point_maps(self, ctx, discovery, observation, options, progress=None) -> PointMaps:
        from ...models.depth_estimation import estimate_depth, load_depth_model

        if self.model is None:
            if not self.model_dir:
                raise BadInputError("geometry 'depth' needs a depth model: give --depth DIR (a transformers Depth "
                                    "Anything V2 metric or Depth Pro folder), or use 'Load Depth Model' → "
                                    "'Metric Geometry (depth)'")
            self.model = load_depth_model(self.model_dir, device=self.device, dtype=self.dtype)
        depth, fov_deg = estimate_depth(self.model, ctx.frames, batch=self.batch, input_side=self.input_side,
                                        progress=progress)
        w, h = ctx.grid_size
        warnings = []
        if options.focal_px is not None:
            focal, focal_source = options.focal_px * ctx.source_to_grid, "user"
        elif fov_deg is not None and 5.0 < fov_deg < 170.0:
            focal, focal_source = focal_from_fov(w, fov_deg), "depth"
        else:
            focal, focal_source = focal_from_fov(w, options.assumed_hfov_deg), "assumed_fov"
            warnings.append(f"depth: focal length unknown: assumed a {options.assumed_hfov_deg:g}° horizontal field of "
                            "view (sideways metres and speeds scale with it; give --focal-px)")
        return PointMaps(depth_to_points(depth, focal), focal_px=focal, source="depth", metric=True,
                         focal_source=focal_source, warnings=warnings,
                         extra={"depth_model": self.model.name, "depth_model_kind": self.model.kind})


def _example_settings(ctx, discovery) -> dict[str, Any]:
    """For the contract test: a tiny Depth Anything V2 metric model with random weights."""
    from ...models.tiny_depth import tiny_depth_model

    return {"model": tiny_depth_model(seed=0)}


register_backend("geometry", "depth", DepthModelGeometry,
                 description="a metric depth model (Depth Anything V2 metric, Depth Pro) per frame; camera motion "
                             "from the background; world-frame centroids",
                 sources={"metric_scale_source": "depth", "backend": "depth", "focal_source": ("depth", "assumed_fov",
                                                                                              "user"),
                          "size_source": "depth"},
                 settings=(BackendSetting(key="model_dir", flag="--depth", help="folder of a transformers metric depth model "
                                          "(Depth Anything V2 metric, Depth Pro)", metavar="DIR"),),
                 example_settings=_example_settings, example_calibrated=False)
