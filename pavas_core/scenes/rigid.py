"""Rigid-body scenes: boxes and cylinders that tumble, topple from rest, slide off a ledge, fall onto
another object, roll and slide — simulated by a rigid-body engine, drawn by `rigid_render`.

These scenes test what the point-mass scenes (scene.py) cannot: an object that rests in the first
frames and then moves, spin, contacts on edges and faces, a shadow on the floor, motion along the
line of sight, and objects in contact with the floor that roll or slide without any impact.

Simulation: pybullet (Bullet), a dev/test dependency only — the generator imports it when a rigid
scene is simulated and says how to install it when it is missing. The world is the camera frame of
the other scenes (x right, y down, z forward; gravity +y; the floor is y = floor_y). Bodies are
rigid with exact inertia of their shape, Coulomb friction, Newton restitution, no damping, no
rolling friction; the engine steps at SIM_RATE_HZ (a multiple of every frame rate offered), and the
frames are the engine's states at the frame times. A body that only rolls is not given to the
engine: Bullet's cylinder–plane contact speeds a rolling cylinder up by about 0.17 % of g (12 % over
4 s), while rolling without slipping on a level floor has an exact solution (constant velocity v,
constant spin v/r about the axis), which is what it follows. Nothing can hit it (it rolls at its own
depth), so this loses no interaction.

Ground truth impacts come from the simulated centre-of-mass motion: a step whose velocity change is
not gravity's (|Δv/dt − g| > IMPULSE_ACCEL_G·g: an impulsive contact force, far above what resting,
rolling or sliding contact exerts, which is at most (1 + μ)·m·g) starts a contact; contacts closer
together than one frame period are one impact (no camera can tell them apart); the impact counts
when its centre-of-mass velocity change is at least MIN_IMPACT_DV_MPS and the body moved at
MIN_IMPACT_SPEED_MPS or more before it (a body at rest that another one lands on is pushed, it
makes no impact of its own). v_before / v_after are the 3D speeds of the centre of mass just before
the first and just after the last impulsive step, so the motion along the line of sight is in them.
Each impact also says how long the body was in free flight right before it (`free_flight_s`: steps
with no contact force at all, |Δv/dt − g| < FREE_FLIGHT_ACCEL_G·g): a fall or a hop has one; the
slap that ends a turn about an edge, a topple's landing or a bump while sliding has none, and the
scoring's `recall_observable` (evaluate.py) does not ask for those. Rolling and sliding make no
impact by construction, and the objects that only roll or slide say so (`action`,
`extra.no_impact_expected`).
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import warnings
from dataclasses import dataclass

import numpy as np

from ..errors import PavasError
from ..materials import get_material
from ..physics.masks import ObjectMasks
from ..physics.tracks import Geometry, Impact, ObjectTrack, PhysicsTracks, delta_ke_j
from .background import FLOOR_RGB, FLOOR_STYLES, render_background
from .camera import PinholeCamera
from .render import SensorNoise
from .scene import SceneTiming
from .rigid_render import BodyLook, bake_scenery, render_rigid_frame

GRAVITY_MPS2 = 9.81
SIM_RATE_HZ = 1200  # 24, 30 and 60 fps divide it: every frame is an engine state
RIGID_FPS_CHOICES = (24.0, 30.0, 60.0)
RIGID_RESOLUTIONS = ((320, 240), (480, 270), (640, 360))
RIGID_DURATION_RANGE_S = (3.0, 5.0)
IMPULSE_ACCEL_G = 6.0
FREE_FLIGHT_ACCEL_G = 0.05  # a step whose velocity change is gravity's to within this share of g has no contact force
CONTACT_ONSET_STEPS = 2  # engine steps of soft contact allowed between a free flight and the impulsive step
MIN_IMPACT_DV_MPS = 0.2
MIN_IMPACT_SPEED_MPS = 0.15
PRIMARY_ACTIONS = ("tumbling", "toppling", "sliding_off", "stacking")
DISTRACTOR_ACTIONS = ("rolling", "sliding")
NO_IMPACT_ACTIONS = ("rolling", "sliding", "resting")


class SimulatorMissingError(PavasError, ImportError):
    """The rigid-body engine (pybullet) is not installed (only these scenes need it)."""


def _pybullet():
    try:
        with _quiet_stderr():
            import pybullet  # noqa: PLC0415 - optional, dev/test only
    except ImportError:
        raise SimulatorMissingError(
            "rigid-body scenes need the pybullet simulator (a development dependency): "
            "pip install -r requirements-dev.txt, or pip install pybullet") from None
    return pybullet


@contextlib.contextmanager
def _quiet_stderr():
    """Bullet's native code prints a build banner on stderr when it connects: keep the notes' stream clean."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            try:
                yield
            finally:
                import ctypes  # the banner sits in C's stdio buffer until flushed

                ctypes.CDLL(None).fflush(None)
    finally:
        os.dup2(saved, 2)
        os.close(saved)


@dataclass(frozen=True)
class RigidKind:
    name: str
    material: str
    shape: str  # box | cylinder
    dims_m: tuple[float, float, float]  # box: sides along local x, y, z; cylinder: (diameter, diameter, length)
    restitution: float
    friction: float
    color_rgb: tuple[float, float, float]
    specular: float

    @property
    def half_extents_m(self) -> tuple[float, float, float]:
        return tuple(0.5 * d for d in self.dims_m)  # type: ignore[return-value]

    @property
    def volume_m3(self) -> float:
        a, b, c = self.dims_m
        return a * b * c if self.shape == "box" else math.pi * (a / 2) ** 2 * c

    @property
    def mass_kg(self) -> float:
        return get_material(self.material).density_kg_m3 * self.volume_m3

    @property
    def size_m(self) -> float:
        """The longest dimension."""
        return max(self.dims_m)


RIGID_CATALOG: tuple[RigidKind, ...] = (
    RigidKind("wooden block", "wood", "box", (0.16, 0.10, 0.10), 0.45, 0.5, (0.80, 0.60, 0.34), 0.1),
    RigidKind("plastic crate", "plastic", "box", (0.24, 0.16, 0.18), 0.5, 0.4, (0.20, 0.45, 0.85), 0.3),
    RigidKind("brick", "ceramic", "box", (0.215, 0.065, 0.1025), 0.3, 0.6, (0.72, 0.30, 0.20), 0.05),
    RigidKind("stone slab", "stone", "box", (0.20, 0.06, 0.14), 0.3, 0.6, (0.45, 0.47, 0.52), 0.1),
    RigidKind("wooden roller", "wood", "cylinder", (0.09, 0.09, 0.26), 0.45, 0.5, (0.88, 0.72, 0.45), 0.15),
    RigidKind("steel tin", "steel", "cylinder", (0.10, 0.10, 0.12), 0.4, 0.4, (0.75, 0.77, 0.82), 0.8),
    RigidKind("plastic tube", "plastic", "cylinder", (0.07, 0.07, 0.22), 0.55, 0.4, (0.90, 0.25, 0.30), 0.3),
)
# tall bodies that stand on one end and can be toppled
TALL_KINDS: tuple[RigidKind, ...] = (
    RigidKind("wooden post", "wood", "box", (0.08, 0.30, 0.08), 0.4, 0.6, (0.78, 0.58, 0.32), 0.1),
    RigidKind("plastic bottle", "plastic", "cylinder", (0.08, 0.08, 0.28), 0.5, 0.5, (0.25, 0.70, 0.35), 0.4),
)
PLATFORM_RGB = (0.86, 0.85, 0.80)  # a light table top: stands out from every body colour


@dataclass(frozen=True)
class RigidBody:
    kind: RigidKind
    action: str  # PRIMARY_ACTIONS | DISTRACTOR_ACTIONS | resting
    position_m: tuple[float, float, float]  # centre at t = 0
    orientation_xyzw: tuple[float, float, float, float]
    velocity_mps: tuple[float, float, float]
    angular_velocity_rps: tuple[float, float, float]
    color_rgb: tuple[float, float, float]
    push: tuple[float, float, float, float, float] | None = None  # (t0 s, duration s, fx, fy, fz) N at the top


@dataclass(frozen=True)
class RigidSceneSpec(SceneTiming):
    scene_id: str
    seed: int
    fps: float
    num_frames: int
    camera: PinholeCamera
    floor_style: str
    wall_z_m: float
    wall_rgb: tuple[float, float, float]
    bodies: tuple[RigidBody, ...]
    platform: tuple[tuple[float, float, float], tuple[float, float, float]] | None  # (centre, half extents)
    shake_amplitude_px: float
    noise_sigma_dn: float

    def to_dict(self) -> dict:
        return {
            "scene_id": self.scene_id, "seed": self.seed, "kind": "rigid", "fps": self.fps,
            "num_frames": self.num_frames, "duration_s": self.duration_s, "width": self.camera.width,
            "height": self.camera.height, "camera": self.camera.to_dict(), "floor_material": self.floor_style,
            "wall_rgb": list(self.wall_rgb), "wall_z_m": self.wall_z_m,
            "shake_amplitude_px": self.shake_amplitude_px, "noise_sigma_dn": self.noise_sigma_dn,
            "shutter_fraction": 0.0, "gravity_mps2": GRAVITY_MPS2, "simulator": "pybullet",
            "sim_rate_hz": SIM_RATE_HZ,
            "platform": None if self.platform is None else {"centre_m": list(self.platform[0]),
                                                             "half_extents_m": list(self.platform[1])},
            "objects": [{
                "name": b.kind.name, "material": b.kind.material, "shape": b.kind.shape,
                "dims_m": list(b.kind.dims_m), "size_m": b.kind.size_m, "mass_kg": b.kind.mass_kg,
                "restitution": b.kind.restitution, "friction": b.kind.friction, "action": b.action,
                "color_rgb": list(b.color_rgb), "position_m": list(b.position_m),
                "orientation_xyzw": list(b.orientation_xyzw), "velocity_mps": list(b.velocity_mps),
                "angular_velocity_rps": list(b.angular_velocity_rps),
                "push": None if b.push is None else list(b.push),
            } for b in self.bodies],
        }


# --- simulation -----------------------------------------------------------------------------------

@dataclass
class RigidTrajectory:
    """Engine states at every step: times (N,), positions (N, 3), quaternions xyzw (N, 4),
    velocities (N, 3), angular velocities (N, 3)."""

    times_s: np.ndarray
    position_m: np.ndarray
    orientation_xyzw: np.ndarray
    velocity_mps: np.ndarray
    angular_velocity_rps: np.ndarray

    def at_frames(self, fps: float, num_frames: int) -> np.ndarray:
        """Indices of the states at the frame times."""
        step = int(round(SIM_RATE_HZ / fps))
        return np.arange(num_frames) * step


@dataclass(frozen=True)
class RigidContact:
    time_s: float
    velocity_before_mps: np.ndarray
    velocity_after_mps: np.ndarray
    position_m: np.ndarray
    surface: str  # floor | platform | object <i>
    # how long the body was in free flight (no contact force at all) right before this contact: a
    # fall or a hop; 0 for the slap that ends a pivot, a topple's landing or a bump while sliding
    free_flight_s: float = 0.0

    @property
    def v_before(self) -> float:
        return float(np.linalg.norm(self.velocity_before_mps))

    @property
    def v_after(self) -> float:
        return float(np.linalg.norm(self.velocity_after_mps))


def rotation_matrix(quat_xyzw: np.ndarray) -> np.ndarray:
    """(..., 4) quaternions x, y, z, w → (..., 3, 3) rotation matrices (columns: the body's axes)."""
    x, y, z, w = np.moveaxis(np.asarray(quat_xyzw, dtype=np.float64), -1, 0)
    return np.stack([
        np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)], -1),
        np.stack([2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)], -1),
        np.stack([2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)], -1),
    ], -2)


def simulate_rigid(scene: RigidSceneSpec) -> tuple[list[RigidTrajectory], list[list[RigidContact]]]:
    """Run the engine over the clip → per body its trajectory and its impacts (see the module docstring)."""
    p = _pybullet()
    with _quiet_stderr():
        cid = p.connect(p.DIRECT)
    try:
        p.resetSimulation(physicsClientId=cid)
        p.setGravity(0.0, GRAVITY_MPS2, 0.0, physicsClientId=cid)
        dt = 1.0 / SIM_RATE_HZ
        p.setPhysicsEngineParameter(fixedTimeStep=dt, numSolverIterations=60, numSubSteps=0,
                                    deterministicOverlappingPairs=1, restitutionVelocityThreshold=0.05,
                                    physicsClientId=cid)
        floor_col = p.createCollisionShape(p.GEOM_PLANE, planeNormal=[0, -1, 0], physicsClientId=cid)
        floor = p.createMultiBody(0, floor_col, basePosition=[0, scene.camera.floor_y_m, 0], physicsClientId=cid)
        p.changeDynamics(floor, -1, lateralFriction=1.0, restitution=1.0, physicsClientId=cid)
        surfaces = {floor: "floor"}
        if scene.platform is not None:
            centre, half = scene.platform
            col = p.createCollisionShape(p.GEOM_BOX, halfExtents=list(half), physicsClientId=cid)
            plat = p.createMultiBody(0, col, basePosition=list(centre), physicsClientId=cid)
            p.changeDynamics(plat, -1, lateralFriction=1.0, restitution=1.0, physicsClientId=cid)
            surfaces[plat] = "platform"
        ids = []
        for i, b in enumerate(scene.bodies):
            if b.action == "rolling":
                ids.append(None)
                continue
            k = b.kind
            if k.shape == "box":
                col = p.createCollisionShape(p.GEOM_BOX, halfExtents=list(k.half_extents_m), physicsClientId=cid)
            else:
                col = p.createCollisionShape(p.GEOM_CYLINDER, radius=k.dims_m[0] / 2, height=k.dims_m[2],
                                             physicsClientId=cid)
            body = p.createMultiBody(k.mass_kg, col, basePosition=list(b.position_m),
                                     baseOrientation=list(b.orientation_xyzw), physicsClientId=cid)
            p.changeDynamics(body, -1, lateralFriction=k.friction, restitution=k.restitution, rollingFriction=0.0,
                             spinningFriction=0.0, linearDamping=0.0, angularDamping=0.0,
                             activationState=p.ACTIVATION_STATE_DISABLE_SLEEPING, physicsClientId=cid)
            p.resetBaseVelocity(body, list(b.velocity_mps), list(b.angular_velocity_rps), physicsClientId=cid)
            ids.append(body)
            surfaces[body] = f"object {i}"
        n_steps = int(round(scene.duration_s * SIM_RATE_HZ)) + 2
        nb = len(ids)
        pos = np.zeros((nb, n_steps + 1, 3))
        quat = np.zeros((nb, n_steps + 1, 4))
        vel = np.zeros((nb, n_steps + 1, 3))
        ang = np.zeros((nb, n_steps + 1, 3))
        partner = [[None] * (n_steps + 1) for _ in range(nb)]

        def record(n: int) -> None:
            for j, body in enumerate(ids):
                if body is None:
                    continue
                pp, qq = p.getBasePositionAndOrientation(body, physicsClientId=cid)
                vv, ww = p.getBaseVelocity(body, physicsClientId=cid)
                pos[j, n], quat[j, n], vel[j, n], ang[j, n] = pp, qq, vv, ww
                pts = p.getContactPoints(bodyA=body, physicsClientId=cid)
                if pts:  # the partner that pushes hardest
                    best = max(pts, key=lambda c: c[9])
                    partner[j][n] = surfaces.get(best[2], "?")

        record(0)
        for n in range(1, n_steps + 1):
            t = (n - 1) * dt
            for j, b in enumerate(scene.bodies):
                if b.push is not None and b.push[0] <= t < b.push[0] + b.push[1]:
                    pp, qq = p.getBasePositionAndOrientation(ids[j], physicsClientId=cid)
                    along = 1 if b.kind.shape == "box" else 2  # the long axis it stands on
                    tip = rotation_matrix(np.asarray(qq))[:, along] * b.kind.half_extents_m[along]
                    top = np.asarray(pp) + (tip if tip[1] < 0 else -tip)  # y is down: the upper end
                    p.applyExternalForce(ids[j], -1, list(b.push[2:]), top.tolist(), p.WORLD_FRAME,
                                         physicsClientId=cid)
            p.stepSimulation(physicsClientId=cid)
            record(n)
    finally:
        p.disconnect(cid)
    times = np.arange(n_steps + 1) * dt
    trajs, contacts = [], []
    for j, b in enumerate(scene.bodies):
        if ids[j] is None:
            pos[j], quat[j], vel[j], ang[j] = _rolling_motion(b, times)
        tr = RigidTrajectory(times, pos[j], quat[j], vel[j], ang[j])
        trajs.append(tr)
        pushed = np.zeros(n_steps, bool)
        if b.push is not None:
            pushed = (times[:-1] >= b.push[0] - dt) & (times[:-1] < b.push[0] + b.push[1] + dt)
        contacts.append(_impacts(tr, partner[j], scene.fps, b.kind.mass_kg, pushed))
    return trajs, contacts


def _quat_mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ax, ay, az, aw = np.moveaxis(a, -1, 0)
    bx, by, bz, bw = np.moveaxis(b, -1, 0)
    return np.stack([aw * bx + ax * bw + ay * bz - az * by, aw * by - ax * bz + ay * bw + az * bx,
                     aw * bz + ax * by - ay * bx + az * bw, aw * bw - ax * bx - ay * by - az * bz], -1)


def _rolling_motion(b: RigidBody, times: np.ndarray) -> tuple[np.ndarray, ...]:
    """Exact rolling without slipping on a level floor: constant velocity and spin."""
    v = np.asarray(b.velocity_mps, dtype=np.float64)
    w = np.asarray(b.angular_velocity_rps, dtype=np.float64)
    pos = np.asarray(b.position_m)[None, :] + times[:, None] * v[None, :]
    rate = float(np.linalg.norm(w))
    axis = w / rate if rate > 0 else np.array([0.0, 0.0, 1.0])
    half = 0.5 * rate * times
    spin = np.concatenate([np.sin(half)[:, None] * axis[None, :], np.cos(half)[:, None]], axis=1)
    quat = _quat_mul(spin, np.broadcast_to(np.asarray(b.orientation_xyzw, dtype=np.float64), spin.shape))
    return pos, quat, np.broadcast_to(v, pos.shape).copy(), np.broadcast_to(w, pos.shape).copy()


def _impacts(tr: RigidTrajectory, partner: list[str | None], fps: float, mass_kg: float,
             pushed: np.ndarray) -> list[RigidContact]:
    dt = 1.0 / SIM_RATE_HZ
    g = np.array([0.0, GRAVITY_MPS2, 0.0])
    a_contact = np.linalg.norm(np.diff(tr.velocity_mps, axis=0) / dt - g[None, :], axis=1)  # step n → n+1
    hot = (a_contact > IMPULSE_ACCEL_G * GRAVITY_MPS2) & ~pushed
    free = (a_contact < FREE_FLIGHT_ACCEL_G * GRAVITY_MPS2) & ~pushed
    steps = np.nonzero(hot)[0]
    groups: list[list[int]] = []
    gap = int(round(SIM_RATE_HZ / fps))
    for s in steps:
        if groups and s - groups[-1][-1] <= gap:
            groups[-1].append(int(s))
        else:
            groups.append([int(s)])
    out = []
    for grp in groups:
        first, last = grp[0], grp[-1] + 1
        vb, va = tr.velocity_mps[first], tr.velocity_mps[last]
        if np.linalg.norm(va - vb) < MIN_IMPACT_DV_MPS or np.linalg.norm(vb) < MIN_IMPACT_SPEED_MPS:
            continue  # too slight, or a body at rest that something else hit (the sound is the hitter's)
        who = next((partner[n] for n in range(first + 1, last + 1) if partner[n]), "floor")
        out.append(RigidContact(float(tr.times_s[first] + dt), vb.copy(), va.copy(), tr.position_m[first + 1].copy(),
                                who, _free_flight_before(free, first) * dt))
    return out


def _free_flight_before(free: np.ndarray, first: int) -> int:
    """Engine steps of free flight that end at step `first` (a contact's first impulsive step),
    allowing CONTACT_ONSET_STEPS steps of soft contact just before it."""
    k = first - 1
    onset = 0
    while k >= 0 and not free[k] and onset < CONTACT_ONSET_STEPS:
        k, onset = k - 1, onset + 1
    run = 0
    while k >= 0 and free[k]:
        k, run = k - 1, run + 1
    return run


# --- sampling -------------------------------------------------------------------------------------

def _quat_axis_angle(axis: np.ndarray, angle: float) -> tuple[float, float, float, float]:
    axis = np.asarray(axis, dtype=np.float64)
    axis = axis / np.linalg.norm(axis)
    s = math.sin(angle / 2)
    return (float(axis[0] * s), float(axis[1] * s), float(axis[2] * s), float(math.cos(angle / 2)))


def _random_quat(rng: np.random.Generator) -> tuple[float, float, float, float]:
    q = rng.standard_normal(4)
    q /= np.linalg.norm(q)
    return tuple(float(c) for c in q)  # type: ignore[return-value]


def _color(rng: np.random.Generator, kind: RigidKind) -> tuple[float, float, float]:
    return tuple(float(c) for c in np.clip(np.asarray(kind.color_rgb) * rng.uniform(0.92, 1.08, 3), 0, 1))


def _lying(kind: RigidKind, floor_y: float, x: float, z: float, rng: np.random.Generator,
           *, roll_axis_z: bool = True) -> tuple[tuple[float, float, float], tuple[float, float, float, float]]:
    """A body resting on the floor: a box flat (its local y up), a cylinder on its side."""
    if kind.shape == "box":
        q = _quat_axis_angle(np.array([0.0, 1.0, 0.0]), float(rng.uniform(-0.5, 0.5)))
        return (x, floor_y - kind.half_extents_m[1], z), q
    # cylinder axis (local z) along the camera's z (rolls sideways in the picture) or tilted a little
    yaw = float(rng.uniform(-0.35, 0.35)) if roll_axis_z else math.pi / 2
    q = _quat_axis_angle(np.array([0.0, 1.0, 0.0]), yaw)
    return (x, floor_y - kind.dims_m[0] / 2, z), q


def sample_rigid_scene(seed: int, *, scene_id: str | None = None,
                       fps_choices: tuple[float, ...] = RIGID_FPS_CHOICES,
                       resolutions: tuple[tuple[int, int], ...] = RIGID_RESOLUTIONS,
                       duration_range_s: tuple[float, float] = RIGID_DURATION_RANGE_S) -> RigidSceneSpec:
    """Draw a rigid-body scene from `seed`: one action with impacts (tumbling, toppling, sliding off a
    ledge, stacking) and, in about half the scenes, a distractor that rolls or slides on the floor."""
    for f in fps_choices:
        if abs(SIM_RATE_HZ / f - round(SIM_RATE_HZ / f)) > 1e-9:
            raise ValueError(f"rigid scenes need a frame rate that divides {SIM_RATE_HZ} Hz, got {f:g}")
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 77]))
    fps = float(fps_choices[int(rng.integers(len(fps_choices)))])
    width, height = resolutions[int(rng.integers(len(resolutions)))]
    duration = float(rng.uniform(*duration_range_s))
    num_frames = max(2, int(round(duration * fps)))
    hfov = float(rng.uniform(50.0, 70.0))
    focal = 0.5 * width / math.tan(math.radians(hfov) / 2)
    action = PRIMARY_ACTIONS[int(rng.integers(len(PRIMARY_ACTIONS)))]
    # depth: a view 0.8–1.4 m high at the action's depth
    view_h = float(rng.uniform(0.8, 1.4))
    z0 = view_h * focal / height
    floor_frac = float(rng.uniform(0.72, 0.84))
    floor_y = (floor_frac * height - height / 2) * z0 / focal
    camera = PinholeCamera(width, height, focal, width / 2, height / 2, floor_y)
    half_view_w = 0.5 * width * z0 / focal
    y_top = -0.5 * height * z0 / focal  # top of the view at z0
    bodies: list[RigidBody] = []
    platform = None
    side = -1.0 if rng.random() < 0.5 else 1.0  # where the action starts (−1: left)
    x_start = side * float(rng.uniform(0.2, 0.5)) * half_view_w
    if action == "tumbling":
        kind = RIGID_CATALOG[int(rng.integers(len(RIGID_CATALOG)))]
        y = floor_y - float(rng.uniform(0.45, 0.8)) * (floor_y - y_top)
        vz = float(rng.uniform(-1.5, 1.5)) if rng.random() < 0.5 else 0.0  # along the line of sight
        bodies.append(RigidBody(kind, action, (x_start, y, z0), _random_quat(rng),
                                (-side * float(rng.uniform(0.2, 0.8)) * half_view_w, -float(rng.uniform(0.0, 2.0)), vz),
                                tuple(float(w) for w in rng.uniform(-8.0, 8.0, 3)), _color(rng, kind)))
    elif action == "toppling":
        kind = TALL_KINDS[int(rng.integers(len(TALL_KINDS)))]
        if kind.shape == "box":
            q = (0.0, 0.0, 0.0, 1.0)  # long side (local y) vertical
            pos = (x_start * 0.5, floor_y - kind.half_extents_m[1], z0)
        else:
            q = _quat_axis_angle(np.array([1.0, 0.0, 0.0]), math.pi / 2)  # axis vertical
            pos = (x_start * 0.5, floor_y - kind.half_extents_m[2], z0)
        t_push = float(rng.uniform(0.6, 1.2))
        m = kind.mass_kg
        # pushed at its top, sideways in the picture or along the line of sight
        direction = np.array([-side, 0.0, 0.0]) if rng.random() < 0.6 else np.array([0.0, 0.0, rng.choice([-1.0, 1.0])])
        f = direction * float(rng.uniform(0.3, 0.5)) * m * GRAVITY_MPS2  # a nudge: just past the tipping angle
        bodies.append(RigidBody(kind, action, pos, q, (0.0, 0.0, 0.0), (0.0, 0.0, 0.0), _color(rng, kind),
                                push=(t_push, 0.12, float(f[0]), 0.0, float(f[2]))))
    elif action == "sliding_off":
        kind = [k for k in RIGID_CATALOG if k.shape == "box"][int(rng.integers(4))]
        plat_h = float(rng.uniform(0.35, 0.6))
        plat_half = (float(rng.uniform(0.3, 0.45)) * half_view_w, plat_h / 2, 0.25)
        plat_x = side * (half_view_w - plat_half[0] * 0.9)
        platform = ((plat_x, floor_y - plat_h / 2, z0 + 0.1), plat_half)
        edge = plat_x - side * plat_half[0]
        top = floor_y - plat_h
        pos, q = _lying(kind, top, edge + side * float(rng.uniform(0.15, 0.35)) * plat_half[0], z0, rng)
        dist = abs(pos[0] - edge)
        decel = kind.friction * GRAVITY_MPS2
        v = math.sqrt(2 * decel * dist) * float(rng.uniform(1.3, 1.8))
        bodies.append(RigidBody(kind, action, pos, q, (-side * v, 0.0, 0.0), (0.0, 0.0, 0.0), _color(rng, kind)))
    else:  # stacking: a box at rest on the floor, another falls onto it
        boxes = [k for k in RIGID_CATALOG if k.shape == "box"]
        base = boxes[int(rng.integers(len(boxes)))]
        top_kind = RIGID_CATALOG[int(rng.integers(len(RIGID_CATALOG)))]
        bx = x_start * 0.5
        pos_b, q_b = _lying(base, floor_y, bx, z0, rng)
        bodies.append(RigidBody(base, "resting", pos_b, q_b, (0.0, 0.0, 0.0), (0.0, 0.0, 0.0), _color(rng, base)))
        drop_h = float(rng.uniform(0.3, 0.7)) * (floor_y - base.dims_m[1] - y_top)
        y = floor_y - base.dims_m[1] - drop_h
        q = _quat_axis_angle(rng.standard_normal(3), float(rng.uniform(0.0, 0.6)))
        bodies.append(RigidBody(top_kind, action, (bx + float(rng.uniform(-0.04, 0.04)), y, z0), q,
                                (0.0, 0.0, 0.0), tuple(float(w) for w in rng.uniform(-1.0, 1.0, 3)),
                                _color(rng, top_kind)))
    if rng.random() < 0.5:  # a distractor on the floor, nearer or farther, that never makes an impact
        what = DISTRACTOR_ACTIONS[int(rng.integers(2))]
        z = z0 * float(rng.choice([0.75, 1.3]))
        hw = 0.5 * width * z / focal
        x = -side * float(rng.uniform(0.3, 0.7)) * hw
        speed = float(rng.uniform(0.15, 0.35)) * hw  # crosses a good part of the view
        if what == "rolling":
            kind = [k for k in RIGID_CATALOG if k.shape == "cylinder"][int(rng.integers(3))]
            pos, q = _lying(kind, floor_y, x, z, rng, roll_axis_z=True)
            rot = rotation_matrix(np.asarray(q))
            axis = rot[:, 2]
            roll_dir = np.cross(axis, np.array([0.0, 1.0, 0.0]))  # perpendicular to the axis, on the floor
            roll_dir /= np.linalg.norm(roll_dir)
            if roll_dir[0] * side > 0:
                roll_dir = -roll_dir  # towards the centre
            v = speed * roll_dir
            omega = np.cross(v, np.array([0.0, 1.0, 0.0])) / (kind.dims_m[0] / 2)  # no slip: v + ω × r_contact = 0
            bodies.append(RigidBody(kind, what, pos, q, tuple(float(c) for c in v), tuple(float(c) for c in omega),
                                    _color(rng, kind)))
        else:
            kind = [k for k in RIGID_CATALOG if k.shape == "box"][int(rng.integers(4))]
            pos, q = _lying(kind, floor_y, x, z, rng)
            v = min(speed, math.sqrt(2 * kind.friction * GRAVITY_MPS2 * 0.8 * hw))
            bodies.append(RigidBody(kind, what, pos, q, (-side * v, 0.0, 0.0), (0.0, 0.0, 0.0), _color(rng, kind)))
    kinds_rgb = [b.color_rgb for b in bodies]
    floors = [f for f in FLOOR_STYLES if all(np.linalg.norm(np.subtract(c, FLOOR_RGB[f])) >= 0.3 for c in kinds_rgb)]
    floor_style = floors[int(rng.integers(len(floors)))] if floors else FLOOR_STYLES[int(rng.integers(3))]
    wall_rgb = tuple(float(c) for c in rng.uniform(0.45, 0.8, size=3))
    shake = 0.0 if rng.random() < 0.5 else float(rng.uniform(0.5, 2.0))
    return RigidSceneSpec(
        scene_id=scene_id or f"rigid_{seed:010d}", seed=int(seed), fps=fps, num_frames=num_frames, camera=camera,
        floor_style=floor_style, wall_z_m=z0 + float(rng.uniform(1.5, 3.5)), wall_rgb=wall_rgb,
        bodies=tuple(bodies), platform=platform, shake_amplitude_px=shake,
        noise_sigma_dn=float(rng.uniform(1.0, 3.0)))


# --- rendering ------------------------------------------------------------------------------------

def _looks(scene: RigidSceneSpec) -> list[BodyLook]:
    looks = [BodyLook(b.kind.shape, b.kind.half_extents_m, b.color_rgb, b.kind.specular) for b in scene.bodies]
    if scene.platform is not None:
        looks.append(BodyLook("box", scene.platform[1], PLATFORM_RGB, 0.05, is_object=False))
    return looks


def _shake(scene: RigidSceneSpec) -> np.ndarray:
    from .scene import shake_offsets_px  # the same wobble model as the point-mass scenes

    class _S:  # shake_offsets_px reads these fields only
        frame_times_s = scene.frame_times_s
        shake_amplitude_px = scene.shake_amplitude_px
        seed = scene.seed
        num_frames = scene.num_frames

    return shake_offsets_px(_S)  # type: ignore[arg-type]


def render_rigid(scene: RigidSceneSpec, trajectories: list[RigidTrajectory], *, cast_shadows: bool = True
                 ) -> tuple[np.ndarray, list[ObjectMasks]]:
    """All frames (T, H, W, 3) uint8 and each body's ground-truth masks (cast_shadows=False: no
    shadow of a body or the scenery, all else the same)."""
    cam = scene.camera
    bg = render_background(cam, rng=np.random.default_rng(np.random.SeedSequence([scene.seed, 1])),
                           floor_style=scene.floor_style, wall_z_m=scene.wall_z_m, margin_px=scene.margin_px,
                           wall_rgb=scene.wall_rgb)
    noise = SensorNoise(cam.height, cam.width, rng=np.random.default_rng(np.random.SeedSequence([scene.seed, 2])),
                        sigma_dn=scene.noise_sigma_dn)
    offsets = _shake(scene)
    looks = _looks(scene)
    masks = [ObjectMasks.empty(scene.num_frames, (cam.width, cam.height)) for _ in scene.bodies]
    frames = np.empty((scene.num_frames, cam.height, cam.width, 3), np.uint8)
    idx = trajectories[0].at_frames(scene.fps, scene.num_frames) if trajectories else []
    plat_pose = None
    if scene.platform is not None:
        plat_pose = (np.asarray(scene.platform[0], dtype=np.float64), np.eye(3))
        bg = bake_scenery(bg, camera=cam, margin_px=scene.margin_px, looks=[looks[-1]], poses=[plat_pose],
                          wall_z_m=scene.wall_z_m, cast_shadows=cast_shadows)
    for k in range(scene.num_frames):
        poses = [(tr.position_m[idx[k]], rotation_matrix(tr.orientation_xyzw[idx[k]])) for tr in trajectories]
        if plat_pose is not None:
            poses.append(plat_pose)
        frame, owned = render_rigid_frame(bg, camera=cam, margin_px=scene.margin_px,
                                          offset_px=(float(offsets[k, 0]), float(offsets[k, 1])), looks=looks,
                                          poses=poses, wall_z_m=scene.wall_z_m, cast_shadows=cast_shadows)
        frames[k] = noise.apply(frame)
        for i in range(len(scene.bodies)):
            if owned[i] is not None:
                masks[i].with_frame(k, *owned[i])
    return frames, masks


# --- ground truth ---------------------------------------------------------------------------------

def _in_view(cam: PinholeCamera, p: np.ndarray, off: np.ndarray) -> bool:
    if p[2] <= 0.05:
        return False
    u, v = cam.project(p) + off
    return bool(0 <= u < cam.width and 0 <= v < cam.height)


def rigid_ground_truth(scene: RigidSceneSpec, trajectories: list[RigidTrajectory],
                       contacts: list[list[RigidContact]], masks: list[ObjectMasks]) -> PhysicsTracks:
    """What happened, as PhysicsTracks (camera frame; centre-of-mass speeds, 3D)."""
    cam = scene.camera
    offsets = _shake(scene)
    objects = []
    for i, (b, tr, cs) in enumerate(zip(scene.bodies, trajectories, contacts)):
        idx = tr.at_frames(scene.fps, scene.num_frames)
        pos, vel = tr.position_m[idx], tr.velocity_mps[idx]
        vis = np.array([masks[i].frames[k] is not None for k in range(scene.num_frames)])
        speed = np.linalg.norm(vel, axis=1)
        impacts = []
        dt = 1.0 / scene.fps
        for c in cs:
            if c.time_s >= scene.duration_s:
                break
            frame = min(int(math.ceil(c.time_s * scene.fps - 1e-9)), scene.num_frames - 1)
            visible = (c.time_s - dt >= 0 and c.time_s + dt <= (scene.num_frames - 1) * dt
                       and _in_view(cam, c.position_m, offsets[frame]))
            impacts.append(Impact(
                frame=frame, time_s=c.time_s, v_before=c.v_before, v_after=c.v_after,
                delta_ke_j=delta_ke_j(b.kind.mass_kg, c.v_before, c.v_after), confidence=1.0,
                extra={"surface": c.surface,
                       "surface_material": (scene.floor_style if c.surface == "floor" else "stone"
                                            if c.surface == "platform" else
                                            scene.bodies[int(c.surface.split()[1])].kind.material),
                       "mass_kg": b.kind.mass_kg, "material": b.kind.material, "kind": "contact",
                       "position_m": [float(x) for x in c.position_m],
                       "velocity_before_mps": [float(x) for x in c.velocity_before_mps],
                       "velocity_after_mps": [float(x) for x in c.velocity_after_mps],
                       "free_flight_s": round(c.free_flight_s, 5), "visible": bool(visible)}))
        objects.append(ObjectTrack(
            id=i, name=b.kind.name, action=b.action, mass_kg=b.kind.mass_kg, mass_source="prior",
            speed_mps=[float(s) if v else None for s, v in zip(speed, vis)],
            centroid_m=[[float(x) for x in p] if v else None for p, v in zip(pos, vis)],
            impacts=impacts, frame="camera", material=b.kind.material, material_source="prior",
            size_m=b.kind.size_m, size_source="prior",
            box_xyxy_px=[None if (bx := masks[i].box_xyxy(k)) is None else [float(c) for c in bx]
                         for k in range(scene.num_frames)],
            mask_source="ground_truth", masks=masks[i],
            extra={"shape": b.kind.shape, "dims_m": list(b.kind.dims_m), "restitution": b.kind.restitution,
                   "friction": b.kind.friction, "no_impact_expected": b.action in NO_IMPACT_ACTIONS,
                   "position_m": pos.round(6).tolist(), "velocity_mps": vel.round(6).tolist(),
                   "orientation_xyzw": tr.orientation_xyzw[idx].round(6).tolist(),
                   "angular_velocity_rps": tr.angular_velocity_rps[idx].round(6).tolist(),
                   "visible": vis.tolist()}))
    geometry = Geometry(backend="pinhole", metric_scale_source="user", focal_px=cam.focal_px,
                        focal_source="ground_truth",
                        extra={"ground_truth": True, "camera": cam.to_dict(),
                               "shake_offsets_px": offsets.round(4).tolist(), "gravity_mps2": GRAVITY_MPS2})
    return PhysicsTracks(fps=scene.fps, num_frames=scene.num_frames, width=cam.width, height=cam.height,
                         objects=objects, geometry=geometry, warnings=[],
                         estimator={"name": "pavas_core.scenes.rigid", "ground_truth": True,
                                    "scene_id": scene.scene_id, "seed": scene.seed}).validate()


def rigid_reference_sound(scene: RigidSceneSpec, contacts: list[list[RigidContact]], *, sample_rate_hz: int
                          ) -> tuple[np.ndarray, float]:
    """The true impacts through the modal synthesizer at the dataset's fixed gain (as dataset.reference_sound)."""
    from ..synth import ImpactEvent, render_impacts
    from .dataset import REFERENCE_GAIN_DB

    events = []
    for b, cs in zip(scene.bodies, contacts):
        for c in cs:
            if c.time_s >= scene.duration_s or c.v_before <= c.v_after:
                continue
            surface = (scene.floor_style if c.surface == "floor" else "stone" if c.surface == "platform"
                       else scene.bodies[int(c.surface.split()[1])].kind.material)
            events.append(ImpactEvent(time_s=c.time_s, mass_kg=b.kind.mass_kg, v_before=c.v_before,
                                      v_after=c.v_after, material=b.kind.material, size_m=b.kind.size_m,
                                      surface_material=surface))
    n = int(round(scene.duration_s * sample_rate_hz))
    if not events:
        return np.zeros((1, n), np.float32), REFERENCE_GAIN_DB
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        wave = render_impacts(events, duration_s=scene.duration_s, sample_rate_hz=sample_rate_hz, seed=scene.seed)
    return (wave * 10.0 ** (REFERENCE_GAIN_DB / 20.0)).astype(np.float32), REFERENCE_GAIN_DB


def write_rigid_scene(out_dir: str | os.PathLike, scene: RigidSceneSpec, *, sample_rate_hz: int = 44100,
                      crf: int = 18, cast_shadows: bool = True) -> dict:
    """Render one rigid scene into `out_dir` (scene.mp4, scene.wav, physics.json) → its index entry
    (cast_shadows=False: the scene's shadow-free twin, the same motion and ground truth)."""
    from .dataset import write_scene_files

    trajs, contacts = simulate_rigid(scene)
    frames, masks = render_rigid(scene, trajs, cast_shadows=cast_shadows)
    wave, gain_db = rigid_reference_sound(scene, contacts, sample_rate_hz=sample_rate_hz)
    tracks = rigid_ground_truth(scene, trajs, contacts, masks)
    return write_scene_files(out_dir, scene, frames, wave, gain_db, tracks, sample_rate_hz=sample_rate_hz, crf=crf)


__all__ = ["RIGID_CATALOG", "RigidBody", "RigidKind", "RigidSceneSpec", "SimulatorMissingError",
           "rigid_ground_truth", "render_rigid", "sample_rigid_scene", "simulate_rigid", "write_rigid_scene"]
