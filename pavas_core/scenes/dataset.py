"""Writing synthetic scenes to disk: video with its reference sound, the sound alone, the physics.

Layout of a dataset directory:

    OUT/index.json                 {"schema": 1, "seed": S, "scenes": [...parameters of each scene...]}
    OUT/<scene_id>/scene.mp4       H.264 picture + AAC reference sound
    OUT/<scene_id>/scene.wav       the reference sound (32-bit float)
    OUT/<scene_id>/physics.json    ground truth: physics.json schema 1 plus exact per-frame state and
                                   each object's masks (COCO RLE, the video's pixels; see scene.py)

The reference sound is the weight-free modal synthesizer driven by the true impacts (true contact
times, masses, speeds, materials; the floor's material as the surface) at one fixed gain for every
scene (REFERENCE_GAIN_DB, recorded as `reference_gain_db`), so levels compare across scenes: a
per-scene normalisation would give the same impact different levels in different clips and break
APCC across clips. The WAV is 32-bit float, so the rare impact that peaks above full scale keeps
its level instead of clipping.
"""

from __future__ import annotations

import json
import math
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import BadInputError
from ..fileio import atomic_directory, atomic_output
from ..limits import MAX_DECODED_BYTES, check_duration_s, check_picture_size, check_sample_rate_hz, check_seed
from ..progress import ProgressCallback, report
from ..video.clip import AudioTrack
from .catalog import ObjectKind, kind_by_name
from .scene import (
    DATASET_CAMERA_MOTIONS,
    DURATION_RANGE_S,
    FPS_CHOICES,
    RESOLUTIONS,
    SceneObject,
    SceneSpec,
    ground_truth_tracks,
    render_frames,
    render_frames_and_masks,
    sample_scene,
    scene_seed,
    simulate_scene,
)
from .camera import PinholeCamera
from .simulate import BodySpec, Trajectory

INDEX_SCHEMA = 1
REFERENCE_GAIN_DB = -12.0  # a 1 J impact peaks near −22 dBFS; a 100 J bowling-ball drop near full scale


def reference_sound(scene: SceneSpec, trajectories: list[Trajectory], *, sample_rate_hz: int,
                    seed: int) -> tuple[np.ndarray, float]:
    """The true impacts rendered by the modal synthesizer at the dataset's fixed gain → ((1, T) float32, gain in dB)."""
    from ..synth import ImpactEvent, render_impacts

    surface = {"wood": "wood", "stone": "stone", "ceramic": "ceramic"}[scene.floor_style]
    events = []
    for obj, traj in zip(scene.objects, trajectories):
        for c in traj.contacts:
            if c.time_s >= scene.duration_s or c.v_before <= c.v_after:
                continue
            events.append(ImpactEvent(
                time_s=float(c.time_s), mass_kg=obj.kind.mass_kg, v_before=c.v_before, v_after=c.v_after,
                material=obj.kind.material, size_m=obj.kind.size_m,
                surface_material=surface if c.plane == "floor" else "stone",
            ))
    n = int(round(scene.duration_s * sample_rate_hz))
    if not events:
        return np.zeros((1, n), np.float32), REFERENCE_GAIN_DB
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # events too weak to hear are skipped, by design
        wave = render_impacts(events, duration_s=scene.duration_s, sample_rate_hz=sample_rate_hz, seed=seed)
    gain = 10.0 ** (REFERENCE_GAIN_DB / 20.0)
    return (wave * gain).astype(np.float32), REFERENCE_GAIN_DB


def write_scene(out_dir: str | os.PathLike, scene: SceneSpec, *, sample_rate_hz: int = 44100,
                crf: int = 18) -> dict:
    """Render one scene into `out_dir` (scene.mp4, scene.wav, physics.json) → its index entry."""
    trajectories = simulate_scene(scene)
    frames, masks = render_frames_and_masks(scene, trajectories)
    wave, gain_db = reference_sound(scene, trajectories, sample_rate_hz=sample_rate_hz, seed=scene.seed)
    tracks = ground_truth_tracks(scene, trajectories, masks=masks)
    return write_scene_files(out_dir, scene, frames, wave, gain_db, tracks, sample_rate_hz=sample_rate_hz, crf=crf)


def write_scene_files(out_dir: str | os.PathLike, scene: Any, frames: np.ndarray, wave: np.ndarray, gain_db: float,
                      tracks: Any, *, sample_rate_hz: int, crf: int = 18) -> dict:
    """The files of one rendered scene of any kind (scene.mp4 with its reference sound, scene.wav, physics.json
    with the ground truth and the scene's description) → its index entry. `scene` has `fps` and `to_dict()`."""
    from ..video import write_video, write_wav

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    audio = AudioTrack(wave, int(sample_rate_hz))
    write_video(out / "scene.mp4", frames, scene.fps, audio=audio, crf=crf)
    write_wav(out / "scene.wav", audio, bit_depth=32)
    doc = tracks.to_dict(masks=True)
    doc["ground_truth"] = True
    doc["scene"] = scene.to_dict()
    doc["reference_sound"] = {"file": "scene.wav", "sample_rate_hz": int(sample_rate_hz),
                              "reference_gain_db": round(gain_db, 4)}
    with atomic_output(out / "physics.json") as tmp:
        tmp.write_text(json.dumps(doc, indent=1, allow_nan=False))
    entry = scene.to_dict()
    entry.update({
        "dir": out.name,
        "files": {"video": "scene.mp4", "sound": "scene.wav", "physics": "physics.json"},
        "num_impacts": sum(len(o.impacts) for o in tracks.objects),
        "reference_gain_db": round(gain_db, 4),
    })
    return entry


@dataclass(frozen=True)
class _SceneJob:
    """Everything that makes scene i of a dataset, picklable so worker processes can write scenes."""

    out: Path
    seed: int
    fps_choices: tuple[float, ...]
    resolutions: tuple[tuple[int, int], ...]
    duration_range_s: tuple[float, float]
    sample_rate_hz: int
    camera_motion: str
    rigid: bool
    kinds: tuple[str, ...]
    scene_seeds: tuple[int, ...] | None = None  # scene i's seed when not the one derived from (seed, i)
    cast_shadows: bool = True  # rigid scenes: False renders their shadow-free twins

    def write(self, i: int) -> dict:
        from .kinds import DEFAULT_KINDS, glider_scene, write_cuts_scene

        scene_id = f"scene_{i:04d}"
        if self.rigid:
            from .rigid import sample_rigid_scene, write_rigid_scene

            seed_i = self.scene_seeds[i] if self.scene_seeds is not None else scene_seed(self.seed, i)
            scene = sample_rigid_scene(seed_i, scene_id=scene_id, fps_choices=self.fps_choices,
                                       resolutions=self.resolutions, duration_range_s=self.duration_range_s)
            return write_rigid_scene(self.out / scene_id, scene, sample_rate_hz=self.sample_rate_hz,
                                     cast_shadows=self.cast_shadows)
        kind = self.kinds[i % len(self.kinds)]
        sample_kw = dict(fps_choices=self.fps_choices, resolutions=self.resolutions)
        if kind == "cuts":
            return write_cuts_scene(self.out / scene_id, scene_seed(self.seed, i), scene_id=scene_id,
                                    sample_rate_hz=self.sample_rate_hz, **sample_kw)
        make = glider_scene if kind == "glider" else sample_scene
        motion = scene_camera_motion(self.camera_motion, i, len(self.kinds))
        scene = make(scene_seed(self.seed, i), scene_id=scene_id, duration_range_s=self.duration_range_s,
                     camera_motion=motion, **sample_kw)
        entry = write_scene(self.out / scene_id, scene, sample_rate_hz=self.sample_rate_hz)
        if self.kinds != DEFAULT_KINDS:
            entry["kind"] = kind
        if self.camera_motion == "mixed":
            entry["camera_motion"] = motion
        return entry


def scene_camera_motion(camera_motion: str, index: int, num_kinds: int) -> str:
    """The camera of scene `index`: the dataset's, or for "mixed" static and dolly by turns of the kinds."""
    if camera_motion != "mixed":
        return camera_motion
    return "dolly" if (index // max(1, num_kinds)) % 2 else "static"


def synth_dataset(out_dir: str | os.PathLike, *, n: int, seed: int,
                  fps_choices: tuple[float, ...] = FPS_CHOICES,
                  resolutions: tuple[tuple[int, int], ...] = RESOLUTIONS,
                  duration_range_s: tuple[float, float] = DURATION_RANGE_S, sample_rate_hz: int = 44100,
                  camera_motion: str = "static", progress: ProgressCallback | None = None,
                  rigid: bool = False, kinds: tuple[str, ...] = ("bounce",), workers: int = 1,
                  rigid_actions: tuple[str, ...] | None = None, cast_shadows: bool = True) -> list[dict]:
    """Write `n` random scenes (scene i from the seed derived from (seed, i)) and OUT/index.json.

    camera_motion: "static" (default: cameras stand or shake), "dolly" (the same scenes seen from a
    camera travelling sideways; see `sample_scene`) or "mixed": each round of the kinds alternates
    between the two (with kinds bounce,glider: bounce static, glider static, bounce dolly, glider
    dolly, ...), each scene's entry saying which; its static scenes are those of a static dataset.
    rigid: rigid-body scenes (boxes and cylinders, scenes/rigid.py; needs the pybullet simulator)
    instead of the point-mass impact scenes; the same seed gives different scenes in the two kinds.
    kinds: the scene kinds (kinds.py) taken in turn, scene i of kind kinds[i % len(kinds)]; the
    default ("bounce",) gives the same scenes as before kinds existed.
    workers: scenes rendered side by side in that many processes (the files are the same).
    rigid_actions: rigid scenes whose main action is one of these only (a development set of one
    kind of motion); scene i is then the i-th such draw among the seeds derived from (seed, 0),
    (seed, 1), ... (a draw that is not rendered costs microseconds).
    cast_shadows: False (rigid scenes) renders the same scenes with no cast shadow: their
    shadow-free twins, whose motion, masks and ground truth are those of the scenes with shadows
    (the same seed), so that what shadows cost a segmenter is measured on one motion."""
    from .kinds import DEFAULT_KINDS, check_kinds

    if not cast_shadows and not rigid:
        raise BadInputError("synth-dataset: --no-shadows is for --rigid scenes (the others draw no cast shadow "
                            "to leave out)")

    kinds = check_kinds(kinds)
    if camera_motion not in DATASET_CAMERA_MOTIONS:
        raise BadInputError(f"synth-dataset: --camera-motion must be one of {', '.join(DATASET_CAMERA_MOTIONS)}, "
                            f"got {camera_motion!r}")
    if rigid and (camera_motion != "static" or kinds != DEFAULT_KINDS):
        raise BadInputError("synth-dataset: --rigid scenes are a kind of their own, with a standing (shaking) "
                            "camera: leave out --camera-motion and --kinds")
    if camera_motion != "static" and "cuts" in kinds:
        raise BadInputError(f"synth-dataset: --camera-motion {camera_motion} is for the bounce and glider kinds, "
                            "not cuts")
    if n < 1:
        raise BadInputError(f"synth-dataset: --n must be at least 1, got {n}")
    if not 1 <= workers <= 256:
        raise BadInputError(f"synth-dataset: --workers must be 1 to 256, got {workers}")
    seed = check_seed(seed, "synth-dataset: --seed")
    if not fps_choices or any(not (f > 0 and math.isfinite(f)) for f in fps_choices):
        raise BadInputError(f"synth-dataset: frame rates must be positive numbers, got {list(fps_choices)}")
    if not resolutions or any(w < 32 or h < 32 for w, h in resolutions):
        raise BadInputError(f"synth-dataset: resolutions must be at least 32x32 pixels, got {list(resolutions)}")
    if not (0 < duration_range_s[0] <= duration_range_s[1]):
        raise BadInputError(f"synth-dataset: bad duration range {list(duration_range_s)} (seconds, min ≤ max)")
    if sample_rate_hz < 8000:
        raise BadInputError(f"synth-dataset: --sample-rate must be at least 8000 Hz, got {sample_rate_hz}")
    check_sample_rate_hz(sample_rate_hz, "synth-dataset: --sample-rate")
    check_duration_s(duration_range_s[1], "synth-dataset: the longest scene")
    for width, height in resolutions:
        check_picture_size(width, height, "synth-dataset: a scene's picture")
    frame_bytes = max(w * h * 3 for w, h in resolutions)
    most_frames = math.ceil(max(fps_choices) * duration_range_s[1]) + 1
    if most_frames * frame_bytes > MAX_DECODED_BYTES:
        raise BadInputError(
            f"synth-dataset: a scene of {duration_range_s[1]:g} s at {max(fps_choices):g} fps and this size would need "
            f"{most_frames * frame_bytes / 1024**3:.1f} GiB of frames (limit {MAX_DECODED_BYTES / 1024**3:.0f} GiB); "
            "ask for shorter, smaller or slower scenes"
        )
    scene_seeds = None
    if rigid_actions is not None:
        from .rigid import PRIMARY_ACTIONS, sample_rigid_scene

        unknown = sorted(set(rigid_actions) - set(PRIMARY_ACTIONS))
        if not rigid or not rigid_actions or unknown:
            raise BadInputError(f"synth-dataset: --actions is for --rigid scenes, one or more of "
                                f"{', '.join(PRIMARY_ACTIONS)}; got {list(rigid_actions)}")
        picked, i = [], 0
        while len(picked) < n and i < 1000 * n:  # each action is drawn about once in four scenes
            s_i = scene_seed(int(seed), i)
            spec = sample_rigid_scene(s_i, fps_choices=tuple(fps_choices), resolutions=tuple(resolutions),
                                      duration_range_s=tuple(duration_range_s))
            if any(b.action in rigid_actions for b in spec.bodies):
                picked.append(s_i)
            i += 1
        if len(picked) < n:
            raise BadInputError(f"synth-dataset: only {len(picked)} scenes of {list(rigid_actions)} among "
                                f"{i} draws; ask for fewer")
        scene_seeds = tuple(picked)
    if rigid:
        from .rigid import _pybullet

        _pybullet()  # before any work: say at once that the simulator is missing
        bad = [f for f in fps_choices if abs(1200.0 / f - round(1200.0 / f)) > 1e-9]
        if bad:
            raise BadInputError(f"synth-dataset: rigid scenes need frame rates that divide 1200 Hz, got {bad}")
    # The whole dataset appears at once: scenes are written into a temporary folder that becomes
    # `out_dir` only after index.json is in it, so an interrupted run leaves nothing half-made.
    with atomic_directory(out_dir, "synth-dataset output folder") as out:
        job = _SceneJob(out=out, seed=int(seed), fps_choices=tuple(fps_choices), resolutions=tuple(resolutions),
                        duration_range_s=tuple(duration_range_s), sample_rate_hz=int(sample_rate_hz),
                        camera_motion=camera_motion, rigid=rigid, kinds=tuple(kinds), scene_seeds=scene_seeds,
                        cast_shadows=cast_shadows)
        entries: list[dict] = [{} for _ in range(n)]
        if workers <= 1 or n == 1:
            for i in range(n):
                entries[i] = job.write(i)
                report(progress, i + 1, n)
        else:
            # scenes are independent and each is drawn from its own seed, so any number of processes
            # writes the same files; entries keep the scene order
            from concurrent.futures import as_completed

            from ..workers import worker_pool

            with worker_pool(min(workers, n)) as pool:
                futures = {pool.submit(job.write, i): i for i in range(n)}
                try:
                    for done, future in enumerate(as_completed(futures), start=1):
                        entries[futures[future]] = future.result()
                        report(progress, done, n)
                except BaseException:
                    pool.shutdown(wait=True, cancel_futures=True)
                    raise
        index = {"schema": INDEX_SCHEMA, "generator": "pavas_core.scenes", "seed": int(seed), "num_scenes": n,
                 **({"kind": "rigid"} if rigid else {}),
                 **({"actions": list(rigid_actions)} if rigid_actions is not None else {}),
                 **({"cast_shadows": False} if not cast_shadows else {}),
                 "sample_rate_hz": int(sample_rate_hz), "fps_choices": [float(f) for f in fps_choices],
                 "resolutions": [list(r) for r in resolutions], "duration_range_s": list(duration_range_s),
                 **({"camera_motion": camera_motion} if camera_motion != "static" else {}),
                 **({"kinds": list(kinds)} if kinds != DEFAULT_KINDS else {}),
                 "scenes": entries}
        (out / "index.json").write_text(json.dumps(index, indent=1, allow_nan=False))
    return entries


def demo_scene(seed: int = 0) -> SceneSpec:
    """The pack's example: a basketball bouncing across a wooden floor, and a wooden block dropped
    into view at 1.6 s. 640×360, 30 fps, 5 s, static camera."""
    z = 2.4
    camera = PinholeCamera.from_fov(640, 360, hfov_deg=60.0, floor_y_m=0.0)
    floor_y = (0.86 * 360 - 180) * z / camera.focal_px
    camera = PinholeCamera(640, 360, camera.focal_px, 320.0, 180.0, floor_y)
    ball = kind_by_name("basketball")
    block = ObjectKind("wooden block", "wood", "box", 0.15, 1.6, 0.4, (0.80, 0.62, 0.36), 0.1)  # a maple block
    left = (0.12 * 640 - 320) * z / camera.focal_px
    right = (0.7 * 640 - 320) * z / camera.focal_px
    top = -180 * z / camera.focal_px
    objects = (
        SceneObject(ball, "bouncing", BodySpec(
            position_m=(left, floor_y - 1.0, z), velocity_mps=(0.55, -1.0, 0.0), radius_m=ball.size_m / 2,
            restitution=0.82, tangential_keep=0.95, slide_decel_mps2=0.6), ball.color_rgb),
        SceneObject(block, "dropped", BodySpec(
            position_m=(right, top - 0.2, z + 0.15), velocity_mps=(0.0, 0.0, 0.0), radius_m=block.size_m / 2,
            restitution=0.4, tangential_keep=0.7, slide_decel_mps2=4.0, release_time_s=1.6), block.color_rgb),
    )
    return SceneSpec(scene_id="pavas_bounce_demo", seed=int(seed), fps=30.0, num_frames=150, camera=camera,
                     floor_style="wood", wall_z_m=4.5, objects=objects, shake_amplitude_px=0.0,
                     noise_sigma_dn=1.5, shutter_fraction=0.35, wall_rgb=(0.62, 0.68, 0.74))


def render_demo_video(path: str | os.PathLike, *, seed: int = 0, sample_rate_hz: int = 44100) -> None:
    """Render the demo scene (picture + reference sound) to `path` (.mp4)."""
    from ..video import write_video

    scene = demo_scene(seed)
    trajectories = simulate_scene(scene)
    frames = render_frames(scene, trajectories)
    wave, _ = reference_sound(scene, trajectories, sample_rate_hz=sample_rate_hz, seed=scene.seed)
    write_video(path, frames, scene.fps, audio=AudioTrack(wave, int(sample_rate_hz)), crf=18)
