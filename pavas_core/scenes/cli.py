"""`python -m pavas_core synth-dataset OUT --n N --seed S`: synthetic impact scenes with exact physics."""

from __future__ import annotations

import argparse

from ..progress import ConsoleProgress
from ..errors import BadInputError
from .scene import DATASET_CAMERA_MOTIONS, DURATION_RANGE_S, FPS_CHOICES, RESOLUTIONS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", metavar="OUT", help="output directory (created; index.json + one folder per scene)")
    parser.add_argument("--n", type=int, default=8, help="number of scenes (default 8)")
    parser.add_argument("--seed", type=int, default=0, help="dataset seed; scene i uses a seed derived from (seed, i)")
    parser.add_argument("--fps-choices", type=float, nargs="+", default=list(FPS_CHOICES), metavar="FPS",
                        help="frame rates to draw from (default: 24 30 60)")
    parser.add_argument("--resolutions", nargs="+", default=[f"{w}x{h}" for w, h in RESOLUTIONS], metavar="WxH",
                        help="picture sizes to draw from (default: 320x240 480x270 640x360 854x480)")
    parser.add_argument("--duration", type=float, nargs=2, default=list(DURATION_RANGE_S), metavar=("MIN", "MAX"),
                        help="clip duration range in seconds (default 3 5)")
    parser.add_argument("--sample-rate", type=int, default=44100, help="reference sound sample rate, Hz")
    parser.add_argument("--camera-motion", choices=list(DATASET_CAMERA_MOTIONS), default="static",
                        help="static: cameras stand still or shake (default); dolly: the same scenes seen from a "
                             "camera travelling sideways, hand-held; mixed: static and dolly by turns of the kinds "
                             "(a training set with both)")
    parser.add_argument("--rigid", action="store_true",
                        help="rigid-body scenes instead: boxes and cylinders that tumble, topple, slide off a ledge, "
                             "stack, roll and slide (needs the pybullet simulator: pip install pybullet); "
                             "default picture sizes 320x240 480x270 640x360")
    parser.add_argument("--actions", default=None, metavar="A[,A...]",
                        help="with --rigid: only scenes whose main action is one of these (tumbling, toppling, "
                             "sliding_off, stacking); scene i is the i-th such draw of the seeds (seed, 0), (seed, 1), ...")
    parser.add_argument("--no-shadows", dest="cast_shadows", action="store_false",
                        help="with --rigid: the same scenes with no cast shadow (their shadow-free twins: the same "
                             "motion, masks and ground truth as with the same seed and shadows)")
    parser.add_argument("--kinds", default="bounce", metavar="K[,K...]",
                        help="scene kinds, taken in turn: bounce (objects dropped, thrown, bouncing; the default), "
                             "glider (plus a box gliding along the floor at constant speed: no impact), "
                             "cuts (2-3 shots of different scenes with hard cuts between them)")
    parser.add_argument("--workers", type=int, default=1, metavar="N",
                        help="render N scenes side by side in worker processes (default 1; the files are the same)")
    parser.add_argument("--demo", action="store_true",
                        help="instead: render the pack's demo clip to OUT (a .mp4 path)")


def main(args: argparse.Namespace) -> int:
    from .dataset import render_demo_video, synth_dataset

    if args.demo:
        render_demo_video(args.out, seed=args.seed, sample_rate_hz=args.sample_rate)
        print(f"wrote {args.out}")
        return 0
    resolutions = tuple(_size(r) for r in args.resolutions)
    if args.rigid and resolutions == RESOLUTIONS:  # the default list: the rigid scenes' own
        from .rigid import RIGID_RESOLUTIONS

        resolutions = RIGID_RESOLUTIONS
    entries = synth_dataset(args.out, n=args.n, seed=args.seed, fps_choices=tuple(args.fps_choices),
                            resolutions=resolutions, rigid=args.rigid,
                            duration_range_s=(args.duration[0], args.duration[1]),
                            sample_rate_hz=args.sample_rate, camera_motion=args.camera_motion,
                            progress=ConsoleProgress("synth-dataset"),
                            kinds=tuple(k.strip() for k in args.kinds.split(",") if k.strip()),
                            workers=args.workers,
                            rigid_actions=None if args.actions is None else
                            tuple(a.strip() for a in args.actions.split(",") if a.strip()),
                            cast_shadows=args.cast_shadows)
    impacts = sum(e["num_impacts"] for e in entries)
    print(f"wrote {len(entries)} scenes ({impacts} impacts) to {args.out}")
    return 0


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = text.lower().split("x")
        return int(w), int(h)
    except ValueError:
        raise BadInputError(f"synth-dataset: a resolution looks like 640x360, got {text!r}") from None
