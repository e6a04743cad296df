"""`python -m pavas_core estimate VIDEO -o physics.json`: weight-free physics estimation."""

from __future__ import annotations

import argparse

from ..progress import ConsoleProgress


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("video", metavar="VIDEO", help="input video file")
    parser.add_argument("-o", "--output", required=True, metavar="PHYSICS_JSON", help="where to write physics.json")
    parser.add_argument("--object", dest="objects", action="append", default=[], metavar="NAME",
                        help="name of a moving object, in order of appearance (repeatable), e.g. --object basketball")
    parser.add_argument("--size-m", type=float, action="append", default=None, metavar="X",
                        help="object size in metres (diameter / longest side); repeat per object or give once")
    parser.add_argument("--mass-kg", type=float, action="append", default=None, metavar="X",
                        help="object mass in kg (overrides the prior table); repeat per object or give once")
    parser.add_argument("--meters-per-px", type=float, default=None, metavar="X",
                        help="metric scale at the objects' depth, metres per pixel of the video (overrides gravity)")
    parser.add_argument("--focal-px", type=float, default=None, metavar="X",
                        help="focal length in pixels of the video (default: a 60° horizontal field of view)")
    parser.add_argument("--max-objects", type=int, default=4, help="keep at most this many moving objects")
    parser.add_argument("--analysis-size", type=int, default=320, metavar="PX",
                        help="longest side of the frames analysed (default 320)")


def main(args: argparse.Namespace) -> int:
    from ..fileio import OutputSet
    from ..video import read_video
    from .estimate import EstimateOptions, estimate_physics

    # The output is reserved first (refused when it names the video) and appears whole or not at all.
    with OutputSet(inputs=[args.video]) as outputs:
        output = outputs.add(args.output, "physics output")
        clip = read_video(args.video, max_side=args.analysis_size, with_audio=False,
                          progress=ConsoleProgress("decode"))
        options = EstimateOptions(
            object_names=list(args.objects),
            object_size_m=_one_or_list(args.size_m),
            mass_kg=_one_or_list(args.mass_kg),
            meters_per_px=args.meters_per_px,
            focal_px=args.focal_px,
            max_objects=args.max_objects,
            analysis_max_side=args.analysis_size,
        )
        tracks = estimate_physics(clip, options=options, progress=ConsoleProgress("estimate"))
        tracks.save(output)
    n_imp = sum(len(o.impacts) for o in tracks.objects)
    print(f"wrote {args.output}: {len(tracks.objects)} objects, {n_imp} impacts, "
          f"scale from {tracks.geometry.metric_scale_source}")
    for w in tracks.warnings:
        print(f"note: {w}")
    return 0


def _one_or_list(values: list[float] | None):
    if not values:
        return None
    return values[0] if len(values) == 1 else values
