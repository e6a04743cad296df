"""A synthetic impact scene: its parameters, its exact physics, its frames and its ground truth.

`sample_scene(seed)` draws a random scene (objects, camera, look) from one seed;
`simulate_scene` gives each object's exact trajectory; `render_frames` draws the video
(`render_frames_and_masks` also each object's pixels, `render_masks` those alone);
`ground_truth_tracks` writes what really happened as PhysicsTracks (physics.json schema 1 plus
ground-truth fields). Same seed → same scene, same frames, same JSON.

Ground-truth masks: object i owns a pixel when at least half of what the pixel shows is object i
(`render.owned_masks`): its coverage, averaged over the exposure like the picture's motion blur and
shake-shifted like the picture, times the share the nearer objects composited over it leave
visible. Without blur this is "the pixel's centre lies inside the object's outline, and no nearer
object's outline". With blur it is the blurred coverage ≥ 0.5, not the outline at the mid-exposure
instant: an observer can only be asked for what the picture shows, and the pixels at the ends of a
streak that show mostly background are not the object in any picture. The blurred region stays
centred on the frame-time position (the exposure is centred on it); a streak so long that it covers
no pixel for half the exposure (a path longer than about four radii) has no mask.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Iterator, Sequence

import numpy as np

from ..physics.masks import ObjectMasks
from ..physics.tracks import Geometry, Impact, ObjectTrack, PhysicsTracks, delta_ke_j
from .background import FLOOR_RGB, FLOOR_STYLES, render_background
from .camera import PinholeCamera
from .catalog import CATALOG, ObjectKind
from .render import (Appearance, SensorNoise, draw_order, frame_coverage, owned_masks,
                     render_frame, render_frame_and_coverage)
from .simulate import GRAVITY_MPS2, BodySpec, Trajectory, floor_plane, simulate, wall_planes

RESOLUTIONS = ((320, 240), (480, 270), (640, 360), (854, 480))
FPS_CHOICES = (24.0, 30.0, 60.0)
DURATION_RANGE_S = (3.0, 5.0)
ACTIONS = ("dropped", "thrown", "bouncing")
MOTION_BLUR_SAMPLES = 5


@dataclass(frozen=True)
class SceneObject:
    kind: ObjectKind
    action: str  # dropped | thrown | bouncing
    body: BodySpec
    color_rgb: tuple[float, float, float]

    @property
    def appearance(self) -> Appearance:
        return Appearance(self.kind.shape, self.kind.size_m / 2.0, self.color_rgb, self.kind.specular)


class SceneTiming:
    """Frame times of a generated scene (any kind with num_frames, fps and shake_amplitude_px)."""

    num_frames: int
    fps: float
    shake_amplitude_px: float

    @property
    def duration_s(self) -> float:
        return self.num_frames / self.fps

    @property
    def frame_times_s(self) -> np.ndarray:
        return np.arange(self.num_frames) / self.fps

    @property
    def margin_px(self) -> int:
        return int(math.ceil(self.shake_amplitude_px)) + 3


@dataclass(frozen=True)
class SceneSpec(SceneTiming):
    scene_id: str
    seed: int
    fps: float
    num_frames: int
    camera: PinholeCamera
    floor_style: str  # wood | stone | ceramic — also the floor's material in the reference sound
    wall_z_m: float
    objects: tuple[SceneObject, ...]
    shake_amplitude_px: float  # 0 → static camera
    noise_sigma_dn: float  # sensor noise, digital numbers of 0..255
    shutter_fraction: float  # exposure as a fraction of the frame period; 0 → no motion blur
    side_walls_m: tuple[float, float] | None = None  # x of invisible side walls (None: floor only)
    wall_rgb: tuple[float, float, float] = (0.6, 0.6, 0.6)  # base colour of the back wall
    # a travelling camera (dolly): the camera moves at this velocity (m/s, its own axes, which stay
    # level and facing +z); world = where the camera was at time 0. Zero: a static camera.
    camera_velocity_mps: tuple[float, float, float] = (0.0, 0.0, 0.0)

    @property
    def camera_moves(self) -> bool:
        return any(v != 0.0 for v in self.camera_velocity_mps)

    def camera_position_m(self, t_s: np.ndarray | float) -> np.ndarray:
        """(..., 3) world position of the camera at times t_s (the origin for a static camera)."""
        return np.asarray(t_s, dtype=np.float64)[..., None] * np.asarray(self.camera_velocity_mps, dtype=np.float64)

    def to_dict(self) -> dict:
        """JSON-ready parameters (for index.json and physics.json)."""
        return {
            "scene_id": self.scene_id,
            "seed": self.seed,
            "fps": self.fps,
            "num_frames": self.num_frames,
            "duration_s": self.duration_s,
            "width": self.camera.width,
            "height": self.camera.height,
            "camera": self.camera.to_dict(),
            "floor_material": self.floor_style,
            "wall_rgb": list(self.wall_rgb),
            "wall_z_m": self.wall_z_m,
            "shake_amplitude_px": self.shake_amplitude_px,
            "noise_sigma_dn": self.noise_sigma_dn,
            "shutter_fraction": self.shutter_fraction,
            "side_walls_m": list(self.side_walls_m) if self.side_walls_m else None,
            **({"camera_velocity_mps": list(self.camera_velocity_mps)} if self.camera_moves else {}),
            "gravity_mps2": GRAVITY_MPS2,
            "objects": [
                {
                    "name": o.kind.name,
                    "material": o.kind.material,
                    "shape": o.kind.shape,
                    "size_m": o.kind.size_m,
                    "mass_kg": o.kind.mass_kg,
                    "action": o.action,
                    "color_rgb": list(o.color_rgb),
                    **{k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(o.body).items()},
                }
                for o in self.objects
            ],
        }


# --- sampling -------------------------------------------------------------------------------------

def scene_seed(base_seed: int, index: int) -> int:
    """The seed of scene `index` of a dataset made with `base_seed`."""
    return int(np.random.SeedSequence([int(base_seed), int(index)]).generate_state(1)[0])


def sample_scene(
    seed: int,
    *,
    scene_id: str | None = None,
    fps_choices: tuple[float, ...] = FPS_CHOICES,
    resolutions: tuple[tuple[int, int], ...] = RESOLUTIONS,
    duration_range_s: tuple[float, float] = DURATION_RANGE_S,
    max_objects: int = 3,
    camera_motion: str = "static",
) -> SceneSpec:
    """Draw a random scene from `seed` (objects whose flights stay mostly in view).

    camera_motion: "static" (the camera stands still or shakes, as drawn), or "dolly": the same scene
    seen from a camera travelling sideways (see `_dolly`). The dolly is drawn from a random stream
    of its own, so a scene's objects, look and shake are those of the static draw of the same seed.
    """
    if camera_motion not in CAMERA_MOTIONS:
        raise ValueError(f"camera_motion must be one of {CAMERA_MOTIONS}, got {camera_motion!r}")
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0]))
    fps = float(fps_choices[int(rng.integers(len(fps_choices)))])
    width, height = resolutions[int(rng.integers(len(resolutions)))]
    duration_s = float(rng.uniform(*duration_range_s))
    num_frames = max(2, int(round(duration_s * fps)))
    hfov = float(rng.uniform(50.0, 75.0))
    focal = 0.5 * width / math.tan(math.radians(hfov) / 2)
    n_obj = int(rng.choice([1, 2, 3], p=[0.4, 0.35, 0.25]))
    n_obj = max(1, min(n_obj, max_objects))
    # staged like a real shoot: every object stands out from the floor and the wall it moves in
    # front of (camouflage is not what this benchmark measures)
    for _ in range(50):
        kinds = _sample_kinds(rng, n_obj)
        floors = [f for f in FLOOR_STYLES if all(_contrast(k.color_rgb, FLOOR_RGB[f]) for k in kinds)]
        if floors:
            break
    floor_style = floors[int(rng.integers(len(floors)))] if floors else FLOOR_STYLES[0]
    wall_rgb = tuple(float(c) for c in rng.uniform(0.45, 0.8, size=3))
    for _ in range(50):
        if all(_contrast(k.color_rgb, wall_rgb) for k in kinds):
            break
        wall_rgb = tuple(float(c) for c in rng.uniform(0.3, 0.85, size=3))
    # depth of the action: every object between 5 % and 22 % of the picture height across
    sizes = [k.size_m for k in kinds]
    lo, hi = max(sizes) / 0.22, min(sizes) / 0.05  # view height at that depth, metres
    view_h = float(np.exp(rng.uniform(np.log(lo), np.log(hi)))) if lo < hi else math.sqrt(lo * hi)
    z0 = view_h * focal / height
    # objects that may overlap in the picture must be at clearly different depths (the simulator
    # has no object–object collisions): depths about 25 % apart, in random order
    depth_rank = rng.permutation(n_obj)
    depths = [z0 * (1.0 + 0.25 * (depth_rank[k] - (n_obj - 1) / 2)) * float(rng.uniform(0.96, 1.04))
              for k in range(n_obj)]
    # where the floor line at depth z0 appears; the nearest object's floor stays above the bottom edge
    floor_frac = 0.5 + min(float(rng.uniform(0.25, 0.36)), 0.4 * min(depths) / z0)
    floor_y = (floor_frac * height - height / 2) * z0 / focal
    camera = PinholeCamera(width, height, focal, width / 2, height / 2, floor_y)
    objects = []
    z_max = 0.0
    for k, kind in enumerate(kinds):
        obj = _sample_object(rng, kind, camera, depths[k], duration_s, slot=k, n_slots=n_obj)
        objects.append(obj)
        z_max = max(z_max, obj.body.position_m[2] + abs(obj.body.velocity_mps[2]) * (duration_s + 1))
    wall_z = max(z0 + float(rng.uniform(1.0, 4.0)), z_max + 0.5)
    shake = 0.0 if rng.random() < 0.5 else float(rng.uniform(0.5, 3.0))
    spec = SceneSpec(
        scene_id=scene_id or f"scene_{seed:010d}",
        seed=int(seed),
        fps=fps,
        num_frames=num_frames,
        camera=camera,
        floor_style=floor_style,
        wall_rgb=wall_rgb,
        wall_z_m=wall_z,
        objects=tuple(objects),
        shake_amplitude_px=shake,
        noise_sigma_dn=float(rng.uniform(1.0, 4.0)),
        shutter_fraction=0.0 if rng.random() < 0.5 else float(rng.uniform(0.2, 0.6)),
    )
    return _dolly(spec, z0) if camera_motion == "dolly" else spec


CAMERA_MOTIONS = ("static", "dolly")
DATASET_CAMERA_MOTIONS = (*CAMERA_MOTIONS, "mixed")  # synth-dataset: "mixed" alternates the two
DOLLY_TRAVEL_RANGE = (0.2, 0.4)  # camera travel over the clip, as a share of the view's width at the action


def _dolly(scene: SceneSpec, z_action_m: float) -> SceneSpec:
    """The scene seen from a camera dollying sideways (left or right) at constant speed, hand-held.

    The camera travels 20–40 % of the view's width at the depth of the action over the clip (so the
    objects stay mostly in view), with a little vertical drift (≤ 10 % of its speed), and shakes
    by 0.5–2 px on top (a hand-held dolly or a slider on an uneven floor).
    """
    rng = np.random.default_rng(np.random.SeedSequence([scene.seed, 11]))
    view_w = scene.camera.width * z_action_m / scene.camera.focal_px
    speed = float(rng.uniform(*DOLLY_TRAVEL_RANGE)) * view_w / scene.duration_s
    sign = 1.0 if rng.random() < 0.5 else -1.0
    vel = (sign * speed, float(rng.uniform(-0.1, 0.1)) * speed, 0.0)
    return replace(scene, camera_velocity_mps=vel, shake_amplitude_px=float(rng.uniform(0.5, 2.0)))


def _contrast(a: tuple[float, float, float], b: tuple[float, float, float], minimum: float = 0.3) -> bool:
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b))) >= minimum


def _sample_kinds(rng: np.random.Generator, n: int) -> list[ObjectKind]:
    """n different kinds whose sizes differ by at most 3.5× (so all look right at one depth)."""
    first = CATALOG[int(rng.integers(len(CATALOG)))]
    kinds = [first]
    pool = [k for k in CATALOG if k is not first and max(k.size_m, first.size_m) / min(k.size_m, first.size_m) <= 3.5]
    for i in rng.permutation(len(pool))[: n - 1]:
        kinds.append(pool[int(i)])
    return kinds


def _sample_object(rng: np.random.Generator, kind: ObjectKind, camera: PinholeCamera, z: float,
                   duration_s: float, *, slot: int, n_slots: int) -> SceneObject:
    f, w, h = camera.focal_px, camera.width, camera.height
    radius = kind.size_m / 2
    floor_top = camera.floor_y_m - radius  # centre height at contact (y down)
    y_top = (0 - camera.cy_px) * z / f  # top of the view at this depth
    # start across the image in its own horizontal slot so that several objects spread out
    u_lo = w * (0.12 + 0.76 * slot / n_slots)
    u_hi = w * (0.12 + 0.76 * (slot + 1) / n_slots)
    x = (float(rng.uniform(u_lo, u_hi)) - camera.cx_px) * z / f
    action = ACTIONS[int(rng.choice(3, p=[0.4, 0.35, 0.25]))]
    release = 0.0
    vx = vy = 0.0
    room = floor_top - y_top
    if action == "dropped":
        if rng.random() < 0.3:  # enters from above the picture, released out of view
            y = y_top - radius - float(rng.uniform(0.05, 0.8))
            release = float(rng.uniform(0.0, 0.3 * duration_s))
        else:
            y = floor_top - float(rng.uniform(0.45, 0.92)) * room
        vx = float(rng.normal(0.0, 0.15))
    elif action == "thrown":
        y = floor_top - float(rng.uniform(0.3, 0.8)) * room
        toward_centre = -math.copysign(1.0, x) if abs(x) > 1e-6 else 1.0
        vx = toward_centre * float(rng.uniform(0.2, 1.2)) * (h * z / f)  # 0.2–1.2 view heights per second
        vy = -float(rng.uniform(0.5, 3.5))  # upward
    else:  # bouncing: already on its way down
        y = floor_top - float(rng.uniform(0.3, 0.85)) * room
        vx = float(rng.normal(0.0, 0.6))
        vy = float(rng.uniform(1.0, 4.0))
    vz = 0.0
    if rng.random() < 0.35:  # some motion in depth, at most ±30 % of the depth over the clip
        vz = float(np.clip(rng.normal(0.0, 0.35), -0.3 * z / duration_s, 0.3 * z / duration_s))
    is_box = kind.shape == "box"
    body = BodySpec(
        position_m=(x, y, z),
        velocity_mps=(vx, vy, vz),
        radius_m=radius,
        restitution=float(np.clip(kind.restitution * rng.uniform(0.92, 1.05), 0.05, 0.95)),
        tangential_keep=float(rng.uniform(0.6, 0.8) if is_box else rng.uniform(0.85, 0.97)),
        slide_decel_mps2=float(rng.uniform(2.0, 5.0) if is_box else rng.uniform(0.3, 2.0)),
        release_time_s=release,
    )
    jitter = rng.uniform(0.92, 1.08, size=3)
    color = tuple(float(c) for c in np.clip(np.asarray(kind.color_rgb) * jitter, 0.0, 1.0))
    return SceneObject(kind, action, body, color)


# --- physics --------------------------------------------------------------------------------------

def simulate_scene(scene: SceneSpec) -> list[Trajectory]:
    planes = [floor_plane(scene.camera.floor_y_m)]
    if scene.side_walls_m is not None:
        planes += wall_planes(*scene.side_walls_m)
    return [simulate(o.body, planes=planes, duration_s=scene.duration_s) for o in scene.objects]


def shake_offsets_px(scene: SceneSpec) -> np.ndarray:
    """(T, 2) image offsets (dx, dy) in px: smooth hand-held wobble plus a little jitter."""
    t = scene.frame_times_s
    if scene.shake_amplitude_px <= 0:
        return np.zeros((scene.num_frames, 2))
    rng = np.random.default_rng(np.random.SeedSequence([scene.seed, 3]))
    out = np.zeros((scene.num_frames, 2))
    for axis in range(2):
        for _ in range(3):
            freq = rng.uniform(0.4, 4.0)
            out[:, axis] += rng.uniform(0.3, 1.0) * np.sin(2 * np.pi * freq * t + rng.uniform(0, 2 * np.pi))
        out[:, axis] += 0.25 * rng.standard_normal(scene.num_frames)
    peak = np.abs(out).max()
    return out * (scene.shake_amplitude_px / peak if peak > 0 else 0.0)


def _exposure_offsets_s(scene: SceneSpec) -> np.ndarray:
    """(S,) instants of the exposure samples relative to the frame time (centred on it)."""
    if scene.shutter_fraction > 0:
        return np.linspace(-0.5, 0.5, MOTION_BLUR_SAMPLES) * scene.shutter_fraction / scene.fps
    return np.zeros(1)


def _background(scene: SceneSpec, camera_position_m: tuple[float, float, float] | None = None) -> np.ndarray:
    """The room (padded for shake) seen from the camera at `camera_position_m` (None: at the origin)."""
    return render_background(
        scene.camera,
        rng=np.random.default_rng(np.random.SeedSequence([scene.seed, 1])),
        floor_style=scene.floor_style,
        wall_z_m=scene.wall_z_m,
        margin_px=scene.margin_px,
        wall_rgb=scene.wall_rgb,
        camera_position_m=camera_position_m,
    )


def _render(scene: SceneSpec, trajectories: list[Trajectory] | None, *, picture: bool, masks: bool
            ) -> Iterator[tuple[np.ndarray | None, list[tuple[int, int, np.ndarray] | None] | None]]:
    """Per frame: (uint8 picture or None, per-object owned pixels (y0, x0, bool crop) | None, or None)."""
    trajectories = simulate_scene(scene) if trajectories is None else trajectories
    if picture and not scene.camera_moves:
        bg = _background(scene)
    if picture:
        noise = SensorNoise(scene.camera.height, scene.camera.width,
                            rng=np.random.default_rng(np.random.SeedSequence([scene.seed, 2])),
                            sigma_dn=scene.noise_sigma_dn)
    offsets = shake_offsets_px(scene)
    sub = _exposure_offsets_s(scene)
    for k, t in enumerate(scene.frame_times_s):
        drawn = []
        for obj, traj in zip(scene.objects, trajectories):
            pos, _ = traj.state_at(t + sub)
            if scene.camera_moves:  # where the object is seen from the travelling camera
                pos = pos - scene.camera_position_m(t + sub)
            drawn.append((obj.appearance, pos))
        offset = (float(offsets[k, 0]), float(offsets[k, 1]))
        if picture and scene.camera_moves:  # the room seen from where the camera is now
            bg = _background(scene, tuple(float(c) for c in scene.camera_position_m(t)))
        frame = owned = None
        if picture and masks:
            frame, cover = render_frame_and_coverage(bg, camera=scene.camera, margin_px=scene.margin_px,
                                                     offset_px=offset, objects=drawn)
            owned = owned_masks(cover, draw_order(drawn))
        elif picture:
            frame = render_frame(bg, camera=scene.camera, margin_px=scene.margin_px, offset_px=offset,
                                 objects=drawn)
        elif masks:
            owned = owned_masks(frame_coverage(camera=scene.camera, offset_px=offset, objects=drawn),
                                draw_order(drawn))
        yield (noise.apply(frame) if frame is not None else None), owned


def iter_frames(scene: SceneSpec, trajectories: list[Trajectory] | None = None) -> Iterator[np.ndarray]:
    """Yield the scene's frames one by one, each (H, W, 3) uint8 RGB."""
    for frame, _ in _render(scene, trajectories, picture=True, masks=False):
        yield frame


def render_frames(scene: SceneSpec, trajectories: list[Trajectory] | None = None) -> np.ndarray:
    """All frames, (T, H, W, 3) uint8."""
    return np.stack(list(iter_frames(scene, trajectories)))


def _collect_masks(scene: SceneSpec, per_frame: list[list[tuple[int, int, np.ndarray] | None]]
                   ) -> list[ObjectMasks]:
    size = (scene.camera.width, scene.camera.height)
    out = [ObjectMasks.empty(scene.num_frames, size) for _ in scene.objects]
    for k, owned in enumerate(per_frame):
        for masks, m in zip(out, owned):
            if m is not None:
                masks.with_frame(k, *m)
    return out


def render_frames_and_masks(scene: SceneSpec, trajectories: list[Trajectory] | None = None
                            ) -> tuple[np.ndarray, list[ObjectMasks]]:
    """All frames (T, H, W, 3) uint8 and each object's ground-truth masks (in the order of
    scene.objects, in the video's pixel grid), from one rendering pass; see the module docstring."""
    frames, owned = [], []
    for frame, m in _render(scene, trajectories, picture=True, masks=True):
        frames.append(frame)
        owned.append(m)
    return np.stack(frames), _collect_masks(scene, owned)


def render_masks(scene: SceneSpec, trajectories: list[Trajectory] | None = None) -> list[ObjectMasks]:
    """Each object's ground-truth masks without drawing the picture (the same masks as
    `render_frames_and_masks`)."""
    return _collect_masks(scene, [m for _, m in _render(scene, trajectories, picture=False, masks=True)])


# --- ground truth ---------------------------------------------------------------------------------

def _visible(camera: PinholeCamera, pos: np.ndarray, radius_m: float, offsets: np.ndarray) -> np.ndarray:
    """(N,) bool: the object's disc overlaps the image."""
    z = pos[:, 2]
    ok = z > 0.05
    uv = camera.project(np.where(ok[:, None], pos, 1.0)) + offsets
    r = camera.focal_px * radius_m / np.where(ok, z, 1.0)
    inside = (uv[:, 0] + r > 0) & (uv[:, 0] - r < camera.width) & (uv[:, 1] + r > 0) & (uv[:, 1] - r < camera.height)
    return ok & inside


def ground_truth_tracks(scene: SceneSpec, trajectories: list[Trajectory] | None = None, *,
                        masks: Sequence[ObjectMasks] | None = None) -> PhysicsTracks:
    """What really happened, as PhysicsTracks (camera frame, exact instantaneous speeds).

    Each object carries its ground-truth masks (`masks`, mask_source "ground_truth"): pass the ones
    `render_frames_and_masks` gave with the frames, or leave None to compute them (`render_masks`).

    mass_source is "prior": the masses come from the generator's object catalog (typical masses),
    they were not measured or typed by a user; `estimator.ground_truth` is true and each object's
    `extra` holds the exact per-frame state (position_m, velocity_mps, visible) and each impact's
    `extra` the full contact (plane, position, velocity vectors, mass, materials, visibility).
    """
    trajectories = simulate_scene(scene) if trajectories is None else trajectories
    masks = render_masks(scene, trajectories) if masks is None else list(masks)
    if len(masks) != len(scene.objects):
        raise ValueError(f"ground_truth_tracks: {len(masks)} masks for {len(scene.objects)} objects")
    t = scene.frame_times_s
    offsets = shake_offsets_px(scene)
    cam_pos = scene.camera_position_m(t)  # (T, 3): zeros for a static camera
    objects = []
    for i, (obj, traj) in enumerate(zip(scene.objects, trajectories)):
        pos, vel = traj.state_at(t)
        vis = _visible(scene.camera, pos - cam_pos, obj.kind.size_m / 2, offsets)
        speed = np.linalg.norm(vel, axis=1)
        impacts = []
        for c in traj.contacts:
            if c.time_s >= scene.duration_s:
                break
            frame = min(int(math.ceil(c.time_s * scene.fps - 1e-9)), scene.num_frames - 1)
            c_vis = _impact_visible(scene, traj, c.time_s, offsets[frame])
            impacts.append(Impact(
                frame=frame,
                time_s=float(c.time_s),
                v_before=c.v_before,
                v_after=c.v_after,
                delta_ke_j=delta_ke_j(obj.kind.mass_kg, c.v_before, c.v_after),
                confidence=1.0,
                extra={
                    "surface": c.plane,
                    "surface_material": scene.floor_style if c.plane == "floor" else "stone",
                    "mass_kg": obj.kind.mass_kg,
                    "material": obj.kind.material,
                    "position_m": [float(x) for x in c.position_m],
                    "velocity_before_mps": [float(x) for x in c.velocity_before_mps],
                    "velocity_after_mps": [float(x) for x in c.velocity_after_mps],
                    "visible": c_vis,
                },
            ))
        objects.append(ObjectTrack(
            id=i,
            name=obj.kind.name,
            action=obj.action,
            mass_kg=obj.kind.mass_kg,
            mass_source="prior",
            speed_mps=[float(s) if v else None for s, v in zip(speed, vis)],
            centroid_m=[[float(x) for x in p] if v else None for p, v in zip(pos, vis)],
            impacts=impacts,
            frame="world" if scene.camera_moves else "camera",
            material=obj.kind.material,
            material_source="prior",
            size_m=obj.kind.size_m,
            size_source="prior",
            box_xyxy_px=_boxes(scene.camera, pos - cam_pos, obj.kind.size_m / 2, offsets, vis),
            mask_source="ground_truth",
            masks=masks[i],
            extra={
                "shape": obj.kind.shape,
                "restitution": obj.body.restitution,
                "position_m": pos.round(6).tolist(),
                "velocity_mps": vel.round(6).tolist(),
                "visible": vis.tolist(),
            },
        ))
    cam = scene.camera
    geometry = Geometry(
        backend="pinhole",
        metric_scale_source="user",  # known exactly (given, not estimated); see extra.ground_truth
        focal_px=cam.focal_px,
        focal_source="ground_truth",
        extra={
            "ground_truth": True,
            "camera": cam.to_dict(),
            "shake_offsets_px": offsets.round(4).tolist(),
            "gravity_mps2": GRAVITY_MPS2,
            # a travelling camera: world = its place at time 0; centroid_m is in that world frame
            **({"camera_positions_m": cam_pos.round(6).tolist()} if scene.camera_moves else {}),
        },
    )
    return PhysicsTracks(
        fps=scene.fps,
        num_frames=scene.num_frames,
        width=cam.width,
        height=cam.height,
        objects=objects,
        geometry=geometry,
        warnings=[],
        estimator={"name": "pavas_core.scenes", "ground_truth": True, "scene_id": scene.scene_id,
                   "seed": scene.seed},
    ).validate()


def _impact_visible(scene: SceneSpec, traj: Trajectory, time_s: float, offset_px: np.ndarray) -> bool:
    """The object's centre is in the picture at the contact and one frame period before and after,
    and the clip has frames on both sides (so that the contact and the rebound can be seen at all)."""
    dt = 1.0 / scene.fps
    if time_s - dt < 0.0 or time_s + dt > (scene.num_frames - 1) * dt:
        return False  # no frame on one side of the contact
    times = np.array([time_s - dt, time_s, time_s + dt])
    pos, _ = traj.state_at(times)
    pos = pos - scene.camera_position_m(times)
    uv = scene.camera.project(pos) + offset_px
    return bool(np.all((uv[:, 0] >= 0) & (uv[:, 0] < scene.camera.width) & (uv[:, 1] >= 0)
                       & (uv[:, 1] < scene.camera.height) & (pos[:, 2] > 0.05)))


def _boxes(camera: PinholeCamera, pos: np.ndarray, radius_m: float, offsets: np.ndarray,
           vis: np.ndarray) -> list[list[float] | None]:
    out: list[list[float] | None] = []
    for p, off, v in zip(pos, offsets, vis):
        if not v:
            out.append(None)
            continue
        u, vv = camera.project(p) + off
        r = camera.focal_px * radius_m / p[2]
        out.append([round(float(u - r), 3), round(float(vv - r), 3), round(float(u + r), 3), round(float(vv + r), 3)])
    return out


def with_overrides(scene: SceneSpec, **changes) -> SceneSpec:
    """A copy of `scene` with some fields changed (tests and demos build on sampled scenes)."""
    return replace(scene, **changes)


__all__ = [
    "SceneObject", "SceneSpec", "sample_scene", "scene_seed", "simulate_scene", "iter_frames", "render_frames",
    "render_frames_and_masks", "render_masks", "ground_truth_tracks", "shake_offsets_px", "with_overrides",
    "CAMERA_MOTIONS",
    "DATASET_CAMERA_MOTIONS",
]
