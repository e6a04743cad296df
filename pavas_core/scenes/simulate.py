"""Exact rigid-body flight with bounces: piecewise constant-acceleration motion, analytic contacts.

Bodies are point masses with a contact radius (no spin, no body–body collisions: bodies at
different depths pass each other). Between contacts a body is in free flight under gravity
(camera frame, +y is down). At a contact with a plane the normal velocity is reversed and scaled
by the coefficient of restitution, the tangential velocity is scaled by `tangential_keep`; contact
times are roots of the flight equations, so they fall between frames. When the rebound would be
slower than `rest_speed_mps` the body stays on the floor and slides to a stop with constant
deceleration. Every contact is recorded with the speeds just before and after it, so the kinetic
energy lost in it, ½·m·(v_before² − v_after²), is exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

GRAVITY_MPS2 = 9.81
_EPS_T = 1e-9


@dataclass(frozen=True)
class Plane:
    """A contact plane `normal · p = offset` (normal points into the free half-space)."""

    name: str  # floor | wall_left | wall_right
    normal: tuple[float, float, float]
    offset_m: float


@dataclass(frozen=True)
class BodySpec:
    position_m: tuple[float, float, float]  # centre at release, camera frame
    velocity_mps: tuple[float, float, float]  # at release
    radius_m: float  # contact radius (sphere radius, or half the side of an upright box)
    restitution: float  # normal-velocity ratio at a contact, 0..1
    tangential_keep: float = 0.92  # tangential-velocity ratio at a contact
    slide_decel_mps2: float = 1.0  # deceleration once resting on the floor (rolling/sliding friction)
    rest_speed_mps: float = 0.25  # below this rebound speed the body stays on the floor
    release_time_s: float = 0.0  # the body is at `position_m` (still) before this time


@dataclass(frozen=True)
class Piece:
    """Constant-acceleration motion on [t0_s, t1_s): p(t) = p0 + v0·τ + ½·a·τ², τ = t − t0."""

    t0_s: float
    t1_s: float
    p0: np.ndarray  # (3,)
    v0: np.ndarray  # (3,)
    accel: np.ndarray  # (3,)
    phase: str  # held | flight | slide | rest


@dataclass(frozen=True)
class Contact:
    time_s: float
    plane: str
    position_m: np.ndarray  # (3,) body centre at contact
    velocity_before_mps: np.ndarray  # (3,)
    velocity_after_mps: np.ndarray  # (3,)

    @property
    def v_before(self) -> float:
        return float(np.linalg.norm(self.velocity_before_mps))

    @property
    def v_after(self) -> float:
        return float(np.linalg.norm(self.velocity_after_mps))


@dataclass
class Trajectory:
    pieces: list[Piece]
    contacts: list[Contact] = field(default_factory=list)

    def state_at(self, times_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions and velocities at `times_s` (N,) → ((N, 3), (N, 3))."""
        t = np.atleast_1d(np.asarray(times_s, dtype=np.float64))
        pos = np.empty((t.size, 3))
        vel = np.empty((t.size, 3))
        starts = np.array([p.t0_s for p in self.pieces])
        idx = np.clip(np.searchsorted(starts, t, side="right") - 1, 0, len(self.pieces) - 1)
        for k, piece in enumerate(self.pieces):
            sel = idx == k
            if not sel.any():
                continue
            tau = (t[sel] - piece.t0_s)[:, None]
            pos[sel] = piece.p0 + piece.v0 * tau + 0.5 * piece.accel * tau**2
            vel[sel] = piece.v0 + piece.accel * tau
        return pos, vel


def floor_plane(floor_y_m: float) -> Plane:
    # free half-space is y < floor_y (above the floor, y down): normal (0, -1, 0), -y >= -floor_y
    return Plane("floor", (0.0, -1.0, 0.0), -floor_y_m)


def wall_planes(x_left_m: float, x_right_m: float) -> list[Plane]:
    return [Plane("wall_left", (1.0, 0.0, 0.0), x_left_m), Plane("wall_right", (-1.0, 0.0, 0.0), -x_right_m)]


def _time_to_plane(p0: np.ndarray, v0: np.ndarray, a: np.ndarray, radius: float, plane: Plane) -> float:
    """Earliest τ > 0 at which the body's surface reaches the plane while moving into it (inf if never)."""
    n = np.asarray(plane.normal)
    d0 = float(n @ p0) - plane.offset_m - radius  # signed gap, ≥ 0 in the free space
    vn = float(n @ v0)
    an = float(n @ a)
    # gap(τ) = d0 + vn·τ + ½·an·τ² = 0
    if abs(an) < 1e-12:
        if vn >= 0:
            return math.inf
        return max(-d0 / vn, 0.0)
    disc = vn * vn - 2.0 * an * d0
    if disc < 0:
        return math.inf
    sq = math.sqrt(disc)
    roots = sorted(((-vn - sq) / an, (-vn + sq) / an))
    for tau in roots:
        if tau > _EPS_T and (vn + an * tau) < 0:  # approaching the plane at that moment
            return tau
    return math.inf


def simulate(
    body: BodySpec,
    *,
    planes: list[Plane],
    duration_s: float,
    gravity_mps2: float = GRAVITY_MPS2,
    max_contacts: int = 200,
) -> Trajectory:
    """Simulate one body exactly until `duration_s` (plus a margin for motion blur)."""
    g = np.array([0.0, gravity_mps2, 0.0])
    zero = np.zeros(3)
    pieces: list[Piece] = []
    contacts: list[Contact] = []
    p = np.asarray(body.position_m, dtype=np.float64)
    v = np.asarray(body.velocity_mps, dtype=np.float64)
    t = float(body.release_time_s)
    end = duration_s + 1.0
    if t > 0:
        pieces.append(Piece(0.0, t, p.copy(), zero.copy(), zero.copy(), "held"))
    floor = next((pl for pl in planes if pl.name == "floor"), None)
    # a body released touching the floor and not moving up stays on it (it slides or rests)
    on_floor = floor is not None and abs(float(np.asarray(floor.normal) @ p) - floor.offset_m - body.radius_m) < 1e-9 \
        and v[1] >= 0.0
    if on_floor:
        v[1] = 0.0
    while t < end and len(contacts) < max_contacts:
        if on_floor:
            horiz = v.copy()
            horiz[1] = 0.0
            speed = float(np.linalg.norm(horiz))
            if speed < 1e-9:
                pieces.append(Piece(t, math.inf, p.copy(), zero.copy(), zero.copy(), "rest"))
                break
            if body.slide_decel_mps2 <= 0:
                raise ValueError("slide_decel_mps2 must be positive")
            a = -body.slide_decel_mps2 * horiz / speed
            t_stop = speed / body.slide_decel_mps2
            walls = [pl for pl in planes if pl.name != "floor"]
            t_wall, wall = min(((_time_to_plane(p, horiz, a, body.radius_m, pl), pl) for pl in walls),
                               default=(math.inf, None), key=lambda x: x[0])
            if t_wall < t_stop:
                pieces.append(Piece(t, t + t_wall, p.copy(), horiz.copy(), a, "slide"))
                p = p + horiz * t_wall + 0.5 * a * t_wall**2
                v_before = horiz + a * t_wall
                v = _bounce(v_before, wall, body)
                contacts.append(Contact(t + t_wall, wall.name, p.copy(), v_before, v.copy()))
                t += t_wall
                continue
            pieces.append(Piece(t, t + t_stop, p.copy(), horiz.copy(), a, "slide"))
            p = p + horiz * t_stop + 0.5 * a * t_stop**2
            t += t_stop
            pieces.append(Piece(t, math.inf, p.copy(), zero.copy(), zero.copy(), "rest"))
            break
        hits = [(_time_to_plane(p, v, g, body.radius_m, pl), pl) for pl in planes]
        tau, plane = min(hits, key=lambda x: x[0])
        if not math.isfinite(tau):
            pieces.append(Piece(t, math.inf, p.copy(), v.copy(), g.copy(), "flight"))
            break
        pieces.append(Piece(t, t + tau, p.copy(), v.copy(), g.copy(), "flight"))
        p = p + v * tau + 0.5 * g * tau**2
        v_before = v + g * tau
        t += tau
        v_after = _bounce(v_before, plane, body)
        if plane is floor and abs(v_after[1]) < body.rest_speed_mps:
            v_after[1] = 0.0  # stays on the floor: the normal rebound is absorbed
            on_floor = True
        contacts.append(Contact(t, plane.name, p.copy(), v_before.copy(), v_after.copy()))
        v = v_after
    pieces[-1] = Piece(pieces[-1].t0_s, math.inf, pieces[-1].p0, pieces[-1].v0, pieces[-1].accel, pieces[-1].phase)
    return Trajectory(pieces, contacts)


def _bounce(v_before: np.ndarray, plane: Plane, body: BodySpec) -> np.ndarray:
    n = np.asarray(plane.normal)
    vn = float(n @ v_before)
    tangential = v_before - vn * n
    return -body.restitution * vn * n + body.tangential_keep * tangential
