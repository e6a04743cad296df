"""A synthetic impact scene: its parameters, its exact physics, its frames and its ground truth.

`sample_scene(seed)` draws a random scene (objects, camera, look) from one seed;
`simulate_scene` gives each object's exact trajectory; `render_frames` draws the video;
`ground_truth_tracks` writes what really happened as PhysicsTracks (physics.json schema 1 plus
ground-truth fields). Same seed → same scene, same frames, same JSON.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Iterator

import numpy as np

from ..physics.tracks import Geometry, Impact, ObjectTrack, PhysicsTracks, delta_ke_j
from .background import FLOOR_RGB, FLOOR_STYLES, render_background
from .camera import PinholeCamera
from .catalog import CATALOG, ObjectKind
from .render import Appearance, SensorNoise, render_frame
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


@dataclass(frozen=True)
class SceneSpec:
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

    @property
    def duration_s(self) -> float:
        return self.num_frames / self.fps

    @property
    def frame_times_s(self) -> np.ndarray:
        return np.arange(self.num_frames) / self.fps

    @property
    def margin_px(self) -> int:
        return int(math.ceil(self.shake_amplitude_px)) + 3

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
) -> SceneSpec:
    """Draw a random scene from `seed` (objects whose flights stay mostly in view)."""
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
    return SceneSpec(
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


def iter_frames(scene: SceneSpec, trajectories: list[Trajectory] | None = None) -> Iterator[np.ndarray]:
    """Yield the scene's frames one by one, each (H, W, 3) uint8 RGB."""
    trajectories = simulate_scene(scene) if trajectories is None else trajectories
    bg = render_background(
        scene.camera,
        rng=np.random.default_rng(np.random.SeedSequence([scene.seed, 1])),
        floor_style=scene.floor_style,
        wall_z_m=scene.wall_z_m,
        margin_px=scene.margin_px,
        wall_rgb=scene.wall_rgb,
    )
    noise = SensorNoise(scene.camera.height, scene.camera.width,
                        rng=np.random.default_rng(np.random.SeedSequence([scene.seed, 2])), sigma_dn=scene.noise_sigma_dn)
    offsets = shake_offsets_px(scene)
    n_sub = MOTION_BLUR_SAMPLES if scene.shutter_fraction > 0 else 1
    sub = (np.linspace(-0.5, 0.5, n_sub) * scene.shutter_fraction / scene.fps) if n_sub > 1 else np.zeros(1)
    for k, t in enumerate(scene.frame_times_s):
        drawn = []
        for obj, traj in zip(scene.objects, trajectories):
            pos, _ = traj.state_at(t + sub)
            drawn.append((obj.appearance, pos))
        frame = render_frame(bg, camera=scene.camera, margin_px=scene.margin_px,
                             offset_px=(float(offsets[k, 0]), float(offsets[k, 1])), objects=drawn)
        yield noise.apply(frame)


def render_frames(scene: SceneSpec, trajectories: list[Trajectory] | None = None) -> np.ndarray:
    """All frames, (T, H, W, 3) uint8."""
    return np.stack(list(iter_frames(scene, trajectories)))


# --- ground truth ---------------------------------------------------------------------------------

def _visible(camera: PinholeCamera, pos: np.ndarray, radius_m: float, offsets: np.ndarray) -> np.ndarray:
    """(N,) bool: the object's disc overlaps the image."""
    z = pos[:, 2]
    ok = z > 0.05
    uv = camera.project(np.where(ok[:, None], pos, 1.0)) + offsets
    r = camera.focal_px * radius_m / np.where(ok, z, 1.0)
    inside = (uv[:, 0] + r > 0) & (uv[:, 0] - r < camera.width) & (uv[:, 1] + r > 0) & (uv[:, 1] - r < camera.height)
    return ok & inside


def ground_truth_tracks(scene: SceneSpec, trajectories: list[Trajectory] | None = None) -> PhysicsTracks:
    """What really happened, as PhysicsTracks (camera frame, exact instantaneous speeds).

    mass_source is "prior": the masses come from the generator's object catalog (typical masses),
    they were not measured or typed by a user; `estimator.ground_truth` is true and each object's
    `extra` holds the exact per-frame state (position_m, velocity_mps, visible) and each impact's
    `extra` the full contact (plane, position, velocity vectors, mass, materials, visibility).
    """
    trajectories = simulate_scene(scene) if trajectories is None else trajectories
    t = scene.frame_times_s
    offsets = shake_offsets_px(scene)
    objects = []
    for i, (obj, traj) in enumerate(zip(scene.objects, trajectories)):
        pos, vel = traj.state_at(t)
        vis = _visible(scene.camera, pos, obj.kind.size_m / 2, offsets)
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
            frame="camera",
            material=obj.kind.material,
            material_source="prior",
            size_m=obj.kind.size_m,
            size_source="prior",
            box_xyxy_px=_boxes(scene.camera, pos, obj.kind.size_m / 2, offsets, vis),
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
    pos, _ = traj.state_at(np.array([time_s - dt, time_s, time_s + dt]))
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
    "ground_truth_tracks", "shake_offsets_px", "with_overrides",
]
