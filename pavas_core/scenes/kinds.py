"""Scene kinds beyond the plain impact scene: a distractor gliding at constant speed, and hard cuts.

- ``bounce``: today's scenes (sample_scene), unchanged;
- ``glider``: a bounce scene plus a box gliding along the floor at constant speed through the
  picture (it never leaves the floor: it makes no impact, so any impact the estimator gives it is
  a false alarm);
- ``cuts``: one clip made of 2–3 shots of different scenes (same frame rate and picture size, hard
  cuts between them), the ground truth per shot with the clip's frame indices and times, and the
  shots listed in physics.json (`shots`). A true impact within IMPACT_GUARD_S of a cut is marked
  `near_cut` (too little trajectory on one side: not counted in recall).

A kind's randomness comes from the scene's own seed (the glider from a stream of its own), so a
bounce scene of a seed is the same whatever other kinds a dataset asks for.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from ..physics.masks import ObjectMasks
from ..physics.shots import IMPACT_GUARD_S
from ..physics.tracks import ObjectTrack, PhysicsTracks, Shot
from .catalog import CATALOG
from .scene import SceneObject, SceneSpec, sample_scene
from .simulate import BodySpec

SCENE_KINDS = ("bounce", "glider", "cuts")
DEFAULT_KINDS = ("bounce",)
GLIDER_ACTION = "gliding"
GLIDE_DECEL_MPS2 = 1e-6  # constant speed (the simulator wants a positive deceleration)
CUT_SHOT_DURATION_S = (1.6, 3.0)


def glider_scene(seed: int, **sample_kw) -> SceneSpec:
    """A bounce scene of `seed` plus a box gliding along the floor across the picture at constant speed."""
    base = sample_scene(seed, **sample_kw)
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 7]))
    cam = base.camera
    boxes = [k for k in CATALOG if k.shape == "box" and k.name not in {o.kind.name for o in base.objects}]
    kind = boxes[int(rng.integers(len(boxes)))]
    zs = [o.body.position_m[2] for o in base.objects]
    radius = kind.size_m / 2
    floor_top = cam.floor_y_m - radius
    # at about the others' depth, a little in front, no larger than 22 % of the picture height,
    # and far enough that its centre stays in the picture's lower 90 %
    z = float(np.median(zs)) * float(rng.uniform(0.8, 0.95))
    z = max(z, kind.size_m * cam.focal_px / (0.22 * cam.height),
            floor_top * cam.focal_px / (0.9 * cam.height - cam.cy_px))
    view_w = cam.width * z / cam.focal_px
    direction = 1.0 if rng.random() < 0.5 else -1.0
    speed = float(rng.uniform(0.4, 0.8)) * view_w / base.duration_s  # crosses 40–80 % of the view
    x0 = -direction * (0.5 - float(rng.uniform(0.05, 0.15))) * view_w
    body = BodySpec(position_m=(x0, floor_top, z), velocity_mps=(direction * speed, 0.0, 0.0), radius_m=radius,
                    restitution=0.3, tangential_keep=0.7, slide_decel_mps2=GLIDE_DECEL_MPS2)
    glider = SceneObject(kind, GLIDER_ACTION, body, tuple(float(c) for c in kind.color_rgb))
    return dataclasses.replace(base, objects=base.objects + (glider,))


def cut_shot_scenes(seed: int, **sample_kw) -> list[SceneSpec]:
    """2–3 different scenes for one clip with hard cuts: the first decides the frame rate and picture size."""
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 11]))
    n_shots = int(rng.integers(2, 4))
    lo, hi = CUT_SHOT_DURATION_S
    kw = dict(sample_kw)
    kw["duration_range_s"] = (lo, hi)
    first = sample_scene(int(np.random.SeedSequence([int(seed), 12, 0]).generate_state(1)[0]), **kw)
    kw["fps_choices"] = (first.fps,)
    kw["resolutions"] = ((first.camera.width, first.camera.height),)
    out = [first]
    for k in range(1, n_shots):
        sub_seed = int(np.random.SeedSequence([int(seed), 12, k]).generate_state(1)[0])
        out.append(sample_scene(sub_seed, **kw))
    return out


def concat_shots(parts: list[tuple[SceneSpec, PhysicsTracks]], *, scene_id: str, seed: int) -> PhysicsTracks:
    """One ground truth for shots played one after the other (objects renumbered, per-frame values
    padded with None outside their shot, times shifted), with the shots listed."""
    total = sum(sc.num_frames for sc, _ in parts)
    fps = parts[0][0].fps
    objects: list[ObjectTrack] = []
    shots: list[Shot] = []
    offsets_px: list = []
    start = 0
    cuts_s = [sum(sc.num_frames for sc, _ in parts[:k]) / fps for k in range(1, len(parts))]
    for k, (sc, tr) in enumerate(parts):
        before, after = start, total - start - sc.num_frames
        t0 = start / fps
        shots.append(Shot(start, start + sc.num_frames - 1, round(t0, 6), round((start + sc.num_frames) / fps, 6),
                          "start" if k == 0 else "cut"))
        offsets_px.extend(tr.geometry.extra.get("shake_offsets_px", []))

        def pad(values, fill=None):
            return [fill] * before + list(values) + [fill] * after

        for obj in tr.objects:
            impacts = []
            for im in obj.impacts:
                t = im.time_s + t0
                near = any(abs(t - c) < IMPACT_GUARD_S for c in cuts_s)
                impacts.append(dataclasses.replace(im, frame=im.frame + start, time_s=t,
                                                   extra=dict(im.extra, near_cut=near)))
            extra = dict(obj.extra, shot=k)
            for key in ("position_m", "velocity_mps"):
                extra[key] = pad(obj.extra[key])
            extra["visible"] = pad(obj.extra["visible"], False)
            masks = obj.masks
            if masks is not None:
                masks = ObjectMasks(masks.grid_size, pad(masks.frames))
            objects.append(dataclasses.replace(
                obj, id=len(objects), speed_mps=pad(obj.speed_mps), centroid_m=pad(obj.centroid_m),
                box_xyxy_px=pad(obj.box_xyxy_px), masks=masks, impacts=impacts, extra=extra))
        start += sc.num_frames
    first = parts[0][1]
    geometry = dataclasses.replace(first.geometry, extra=dict(
        first.geometry.extra, shake_offsets_px=offsets_px,
        shot_cameras=[tr.geometry.extra["camera"] for _, tr in parts]))
    return PhysicsTracks(fps=fps, num_frames=total, width=first.width, height=first.height, objects=objects,
                         geometry=geometry, warnings=[], shots=shots,
                         estimator={"name": "pavas_core.scenes", "ground_truth": True, "scene_id": scene_id,
                                    "seed": int(seed), "kind": "cuts"}).validate()


def write_cuts_scene(out_dir: str | Path, seed: int, *, scene_id: str, sample_rate_hz: int = 44100,
                     crf: int = 18, **sample_kw) -> dict:
    """Render a clip of 2–3 shots with hard cuts into `out_dir` (scene.mp4, scene.wav, physics.json) → its index entry."""
    import json

    from ..fileio import atomic_output
    from ..video import write_video, write_wav
    from ..video.clip import AudioTrack
    from .dataset import reference_sound
    from .scene import ground_truth_tracks, render_frames_and_masks, simulate_scene

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    scenes = cut_shot_scenes(seed, **sample_kw)
    frames, waves, parts = [], [], []
    for sc in scenes:
        traj = simulate_scene(sc)
        f, masks = render_frames_and_masks(sc, traj)
        wave, gain_db = reference_sound(sc, traj, sample_rate_hz=sample_rate_hz, seed=sc.seed)
        n_samples = int(round(sc.num_frames / sc.fps * sample_rate_hz))
        wave = np.pad(wave[:, :n_samples], ((0, 0), (0, max(0, n_samples - wave.shape[1]))))
        frames.append(f)
        waves.append(wave)
        parts.append((sc, ground_truth_tracks(sc, traj, masks=masks)))
    audio = AudioTrack(np.concatenate(waves, axis=1).astype(np.float32), int(sample_rate_hz))
    write_video(out / "scene.mp4", np.concatenate(frames), scenes[0].fps, audio=audio, crf=crf)
    write_wav(out / "scene.wav", audio, bit_depth=32)
    tracks = concat_shots(parts, scene_id=scene_id, seed=seed)
    doc = tracks.to_dict(masks=True)
    doc["ground_truth"] = True
    doc["scene"] = {"kind": "cuts", "shots": [sc.to_dict() for sc in scenes]}
    doc["reference_sound"] = {"file": "scene.wav", "sample_rate_hz": int(sample_rate_hz),
                              "reference_gain_db": round(gain_db, 4)}
    with atomic_output(out / "physics.json") as tmp:
        tmp.write_text(json.dumps(doc, indent=1, allow_nan=False))
    first = scenes[0]
    return {
        "scene_id": scene_id, "seed": int(seed), "kind": "cuts", "fps": first.fps, "num_frames": tracks.num_frames,
        "duration_s": tracks.num_frames / first.fps, "width": first.camera.width, "height": first.camera.height,
        "shots": [{"start_frame": s.start_frame, "end_frame": s.end_frame, "start_s": s.start_s, "end_s": s.end_s,
                   "kind": s.kind} for s in tracks.shots],
        "dir": out.name,
        "files": {"video": "scene.mp4", "sound": "scene.wav", "physics": "physics.json"},
        "num_impacts": sum(len(o.impacts) for o in tracks.objects),
        "reference_gain_db": round(gain_db, 4),
    }


def check_kinds(kinds) -> tuple[str, ...]:
    from ..errors import BadInputError

    kinds = tuple(kinds) or DEFAULT_KINDS
    bad = [k for k in kinds if k not in SCENE_KINDS]
    if bad:
        raise BadInputError(f"synth-dataset: unknown scene kind {', '.join(map(repr, bad))}; "
                            f"known: {', '.join(SCENE_KINDS)}")
    return kinds


__all__ = ["SCENE_KINDS", "DEFAULT_KINDS", "glider_scene", "cut_shot_scenes", "concat_shots", "write_cuts_scene",
           "check_kinds"]
