"""Per-object masks of the physics estimator against the synthetic ground truth (IoU per frame).

    python bench/mask_iou.py --n 24 --seed 7 [--data DIR] [--verbose] [--fake shift|erode]

Generates N scenes with `synth-dataset` in a temporary directory (or in DIR, reused when it
already holds a dataset), then runs the real path on each clip:
read_video(scene.mp4, max_side=320) → estimate_physics → each estimated object's `masks` against
the ground-truth masks in physics.json (pavas_core.scenes.evaluate.match_masks: Hungarian matching
on mean IoU over the frames both objects are visible, compared in the coarser of the two grids).
Prints the median, mean and 10th percentile of the per-frame IoU over all matched frames, and the
share of frames where a true object is visible but has no estimated mask (misses); --verbose adds
one line per scene. An estimator that fills no `masks` is reported as such.

--fake replaces the estimator by the ground truth one pixel off (shifted right, or eroded), in
reverse object order: a check of the scoring itself, whose IoU is known (a disc of radius r px
shifted by one pixel keeps about (πr² − 2r)/(πr² + 2r); eroded, about 1 − 2/r).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy import ndimage

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pavas_core.physics.estimate import estimate_physics  # noqa: E402
from pavas_core.physics.masks import ObjectMasks  # noqa: E402
from pavas_core.physics.tracks import PhysicsTracks  # noqa: E402
from pavas_core.scenes.dataset import synth_dataset  # noqa: E402
from pavas_core.scenes.evaluate import MaskMatch, match_masks  # noqa: E402
from pavas_core.video import read_video  # noqa: E402

ANALYSIS_SIDE = 320


def one_pixel_off(masks: ObjectMasks, how: str) -> ObjectMasks:
    """`masks` shifted one pixel to the right ("shift") or eroded by one pixel ("erode")."""
    out = ObjectMasks.empty(masks.num_frames, masks.grid_size)
    for k, f in enumerate(masks.frames):
        if f is None:
            continue
        if how == "shift":
            out.with_frame(k, f.y0, f.x0 + 1, f.crop)
        else:
            out.with_frame(k, f.y0, f.x0, ndimage.binary_erosion(np.pad(f.crop, 1))[1:-1, 1:-1])
    return out


def fake_estimate(truth: PhysicsTracks, how: str) -> PhysicsTracks:
    """The ground truth one pixel off, objects in reverse order under other ids."""
    est = PhysicsTracks.from_json(truth.to_json())
    est.estimator = {"name": f"fake:{how}"}
    est.objects.reverse()
    for obj, true_obj in zip(est.objects, reversed(truth.objects)):
        obj.id += 1000
        obj.masks = one_pixel_off(true_obj.masks, how)
    return est


def _fmt(x: float, spec: str = ".3f") -> str:
    return "n/a" if not np.isfinite(x) else format(x, spec)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=24)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data", type=Path, default=None, help="reuse (or create) the dataset in this directory")
    ap.add_argument("--verbose", action="store_true", help="one line per scene")
    ap.add_argument("--fake", choices=("shift", "erode"), default=None,
                    help="score the ground truth one pixel off instead of the estimator (checks the scoring)")
    args = ap.parse_args(argv)

    tmp = None
    data = args.data
    if data is None:
        tmp = tempfile.TemporaryDirectory(prefix="pavas_bench_masks_")
        data = Path(tmp.name)
    index_path = data / "index.json"
    t_gen = time.perf_counter()
    if not index_path.exists():
        synth_dataset(data, n=args.n, seed=args.seed)
    t_gen = time.perf_counter() - t_gen
    index = json.loads(index_path.read_text())
    scenes = index["scenes"][: args.n]

    total = MaskMatch()
    est_s = 0.0
    sources: dict[str, int] = {}
    for entry in scenes:
        folder = data / entry["dir"]
        truth = PhysicsTracks.load(folder / "physics.json")
        t0 = time.perf_counter()
        if args.fake:
            est = fake_estimate(truth, args.fake)
        else:
            clip = read_video(folder / "scene.mp4", max_side=ANALYSIS_SIDE, with_audio=False)
            est = estimate_physics(clip)
        est_s += time.perf_counter() - t0
        for o in est.objects:
            key = o.mask_source if o.masks is not None else "no masks"
            sources[key] = sources.get(key, 0) + 1
        m = match_masks(truth, est)
        total = total.merge(m)
        if args.verbose:
            s = m.summary()
            grids = " ".join(sorted({f"{o.masks.grid_size[0]}x{o.masks.grid_size[1]}"
                                     for o in est.objects if o.masks is not None})) or "-"
            print(f"{entry['dir']}: {entry['width']}x{entry['height']} {entry['fps']:g} fps, "
                  f"{s['true_objects']} objects, estimated {s['estimated_objects']} "
                  f"({s['estimates_with_masks']} with masks, grid {grids}), matched {s['matched_objects']}; "
                  f"IoU median {_fmt(s['iou_median'])} p10 {_fmt(s['iou_p10'])} over {s['matched_frames']} frames, "
                  f"misses {m.missed_frames}/{s['truth_frames']}")
    s = total.summary()
    who = f"fake estimator ({args.fake})" if args.fake else "estimate_physics"
    print(f"dataset: {len(scenes)} scenes, seed {index['seed']}"
          + (f" (generated in {t_gen:.1f} s)" if t_gen > 1 else f", {data}"))
    print(f"{who}: {s['estimated_objects']} objects for {s['true_objects']} true objects, {est_s:.1f} s; "
          "masks: " + ", ".join(f"{k} {v}" for k, v in sorted(sources.items())))
    if s["estimates_with_masks"] == 0:
        print("estimator gave no masks: nothing to score (ObjectTrack.masks is None for every object)")
    else:
        print(f"per-frame IoU over {s['matched_frames']} matched frames: median {_fmt(s['iou_median'])}, "
              f"mean {_fmt(s['iou_mean'])}, 10th percentile {_fmt(s['iou_p10'])}")
        print(f"misses: {_fmt(100 * s['miss_rate'], '.1f')} % of {s['truth_frames']} frames with a true object "
              f"in view have no estimated mask; matched objects {s['matched_objects']}/{s['true_objects']}; "
              f"frames with an estimated mask where its object is not in view: {s['extra_frames']}")
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
