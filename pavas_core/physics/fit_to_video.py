"""A physics.json given for a video (`run --physics-in`): is it this video's, and on its pixel grid?

Rules (stated in the README and --help):
- the frame rate must match (within 0.5 %) and so must the duration (within two frames or 2 %,
  whichever is more): a file made for another video, or for another cut of it, is refused with
  both numbers in the message;
- the picture size may differ when the aspect ratio is the same (within 1 %), e.g. physics made
  on a smaller copy of the video: every pixel quantity (boxes, focal_px, meters_per_px) is rescaled
  to the video's own pixels, with a note; another aspect ratio is refused.
Masses, materials, sizes, speeds and impacts are taken as they are in the file (hand edits are
honoured), only checked for values no consumer can use (PhysicsTracks.validate).
"""

from __future__ import annotations

import copy
import math

from ..errors import BadInputError
from .tracks import PhysicsTracks

FPS_TOLERANCE_REL = 0.005
DURATION_TOLERANCE_REL = 0.02
DURATION_TOLERANCE_FRAMES = 2
ASPECT_TOLERANCE_REL = 0.01


def fit_physics_to_video(tracks: PhysicsTracks, *, fps: float, duration_s: float, size: tuple[int, int],
                         physics_name: str, video_name: str) -> tuple[PhysicsTracks, list[str]]:
    """(tracks on the video's pixel grid, notes), or BadInputError when the file is not this video's.

    fps / duration_s: the decoded video's; size: (width, height) of the video as displayed."""
    where = f"--physics-in {physics_name}"
    if abs(tracks.fps - fps) > FPS_TOLERANCE_REL * fps:
        raise BadInputError(f"{where} is for a {tracks.fps:g} fps video but {video_name} is {fps:g} fps; "
                            f"estimate this video's physics (estimate {video_name} -o physics.json) and edit that")
    tolerance_s = max(DURATION_TOLERANCE_FRAMES / fps, DURATION_TOLERANCE_REL * duration_s)
    if abs(tracks.duration_s - duration_s) > tolerance_s:
        raise BadInputError(f"{where} covers {tracks.duration_s:.3f} s ({tracks.num_frames} frames at {tracks.fps:g} fps) "
                            f"but {video_name} lasts {duration_s:.3f} s; it was made for another video or another "
                            "cut of it")
    width, height = int(size[0]), int(size[1])
    if (tracks.width, tracks.height) == (width, height):
        return tracks, []
    file_aspect, video_aspect = tracks.width / tracks.height, width / height
    if abs(file_aspect / video_aspect - 1.0) > ASPECT_TOLERANCE_REL:
        raise BadInputError(f"{where} is for a {tracks.width}x{tracks.height} picture but {video_name} shows "
                            f"{width}x{height} (another aspect ratio: another video, or rotated differently)")
    scale = width / tracks.width
    fitted = _rescaled(tracks, scale, width, height)
    return fitted, [f"{where} is on a {tracks.width}x{tracks.height} pixel grid; its boxes, focal length and "
                    f"metres per pixel were rescaled ×{scale:.4g} to the video's {width}x{height}"]


def _rescaled(tracks: PhysicsTracks, scale: float, width: int, height: int) -> PhysicsTracks:
    """A copy with every pixel quantity (of the video's own grid) multiplied by `scale`."""
    masks = [o.masks for o in tracks.objects]
    for o in tracks.objects:  # masks carry their own size: shared, not copied
        o.masks = None
    try:
        out = copy.deepcopy(tracks)
    finally:
        for o, m in zip(tracks.objects, masks):
            o.masks = m
    out.width, out.height = width, height
    if out.geometry.focal_px is not None:
        out.geometry.focal_px = out.geometry.focal_px * scale
    for o, m in zip(out.objects, masks):
        o.masks = m
        if o.box_xyxy_px is not None:
            o.box_xyxy_px = [None if b is None else [v * scale for v in b] for b in o.box_xyxy_px]
        mpp = o.extra.get("meters_per_px")
        if isinstance(mpp, (int, float)) and math.isfinite(mpp):
            o.extra["meters_per_px"] = mpp / scale
    return out.validate()
