"""World-frame speed under a moving camera, with the scene's true depth (no network involved).

    python bench/world_speed.py --n 8 --seed 424242 [--dolly-mps 0.6] [--shake-px 2.5] [--verbose]

Draws N generated scenes (pavas_core.scenes.sample_scene), gives each a travelling camera (a
sideways-and-forward dolly of the given speed in a random direction of the picture plane, plus
hand-held shake), renders them, and measures each object's speed per frame three ways from the
same true depth, the same ground-truth masks and the same trajectory fit (the shared dynamics):

- camera: centroids in each frame's camera, no camera motion compensation;
- world (background poses): camera poses estimated from the background (pictures + depth), as a
  depth model without poses is used;
- world (true poses): the scene's own camera poses (the world-frame mathematics alone).

The error of a scene is the mean |estimated − true speed| (m/s) over the frames where the object is
visible, except the frames within two frames of a contact (where the true speed jumps and any fit
of sampled positions rounds the corner), averaged over its objects. Prints the median over scenes of each and the ratio world / camera; the
acceptance is world error ≤ half the camera-frame error.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pavas_core.physics.dynamics import object_dynamics  # noqa: E402
from pavas_core.physics.options import EstimateOptions  # noqa: E402
from pavas_core.physics.stages import DiscoveredObject, Discovery, make_context  # noqa: E402
from pavas_core.physics.stages.mask_input import GivenMasksObserver  # noqa: E402
from pavas_core.scenes.scene import (  # noqa: E402
    ground_truth_tracks,
    render_frames_and_masks,
    sample_scene,
    scene_seed,
    simulate_scene,
    with_overrides,
)
from pavas_core.scenes.true_depth import TrueDepthGeometry  # noqa: E402
from pavas_core.video import clip_from_frames  # noqa: E402

MODES = ("none", "background", "true")
LABELS = {"none": "camera frame", "background": "world, background poses", "true": "world, true poses"}


def moving_camera_scene(seed: int, *, dolly_mps: float, shake_px: float, max_side: int = 320):
    """A sampled scene (at most `max_side` px wide) with a dolly in a random picture-plane direction."""
    scene = sample_scene(seed, resolutions=((320, 240), (320, 180)), duration_range_s=(2.0, 2.5))
    rng = np.random.default_rng(np.random.SeedSequence([seed, 77]))
    angle = rng.uniform(0, 2 * math.pi)
    vel = (dolly_mps * math.cos(angle), 0.3 * dolly_mps * math.sin(angle), 0.3 * dolly_mps * rng.uniform(-1, 1))
    return with_overrides(scene, camera_velocity_mps=vel, shake_amplitude_px=shake_px)


def speed_errors(scene, *, analysis_max_side: int = 320) -> dict[str, float]:
    """Mean |speed error| (m/s) of the scene's visible objects, per mode."""
    traj = simulate_scene(scene)
    frames, masks = render_frames_and_masks(scene, traj)
    truth = ground_truth_tracks(scene, traj, masks=masks)
    clip = clip_from_frames(frames, scene.fps)
    opts = EstimateOptions(analysis_max_side=analysis_max_side, masks="mask_input")
    ctx = make_context(clip, analysis_max_side=opts.analysis_max_side)
    discovery = Discovery([DiscoveredObject(o.name, "user") for o in truth.objects], backend="truth", context=ctx)
    observation = GivenMasksObserver(masks).observe(ctx, discovery, None, opts)
    out = {}
    for mode in MODES:
        geo = TrueDepthGeometry(scene, poses=mode).geometry(ctx, discovery, observation, opts)
        errs = []
        for o_geo, o_true in zip(geo.objects, truth.objects):
            dyn = object_dynamics(o_geo, ctx.times_s, ctx.fps, penalty=opts.segment_penalty)
            near = {f for im in o_true.impacts for f in range(im.frame - 2, im.frame + 3)}
            pairs = [(e, t) for k, (e, t) in enumerate(zip(dyn.speed_mps, o_true.speed_mps))
                     if e is not None and t is not None and k not in near]
            if len(pairs) >= 5:
                errs.append(float(np.mean([abs(e - t) for e, t in pairs])))
        out[mode] = float(np.mean(errs)) if errs else float("nan")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=8, help="number of scenes (default 8)")
    ap.add_argument("--seed", type=int, default=424242, help="base seed of the scenes (default 424242)")
    ap.add_argument("--dolly-mps", type=float, default=0.6, help="camera speed (default 0.6 m/s)")
    ap.add_argument("--shake-px", type=float, default=2.5, help="hand-held shake amplitude (default 2.5 px)")
    ap.add_argument("--verbose", action="store_true", help="one line per scene")
    args = ap.parse_args(argv)
    start = time.perf_counter()
    rows = []
    for i in range(args.n):
        seed = scene_seed(args.seed, i)
        scene = moving_camera_scene(seed, dolly_mps=args.dolly_mps, shake_px=args.shake_px)
        err = speed_errors(scene)
        rows.append(err)
        if args.verbose:
            print(f"scene {i} (seed {seed}, {len(scene.objects)} object(s), camera "
                  f"{np.round(scene.camera_velocity_mps, 2).tolist()} m/s): "
                  + ", ".join(f"{LABELS[m]} {err[m]:.3f}" for m in MODES), flush=True)
    med = {m: float(np.nanmedian([r[m] for r in rows])) for m in MODES}
    print(f"{args.n} scenes, camera dolly {args.dolly_mps} m/s + shake {args.shake_px} px, true depth, "
          f"ground-truth masks ({time.perf_counter() - start:.0f} s)")
    for m in MODES:
        print(f"  median mean |speed error|, {LABELS[m]:<26} {med[m]:.3f} m/s")
    ratio_bg = med["background"] / med["none"]
    ratio_true = med["true"] / med["none"]
    print(f"  world / camera-frame error: {ratio_bg:.3f} (background poses), {ratio_true:.3f} (true poses); "
          f"acceptance ≤ 0.5: {'yes' if max(ratio_bg, ratio_true) <= 0.5 else 'NO'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
