"""`python -m pavas_core estimate VIDEO -o physics.json`: physics estimation (the stages the flags name)."""

from __future__ import annotations

import argparse
import sys

from ..progress import ConsoleProgress
from .options import add_estimator_arguments, options_from_args


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("video", metavar="VIDEO", help="input video file")
    parser.add_argument("-o", "--output", required=True, metavar="PHYSICS_JSON", help="where to write physics.json")
    parser.add_argument("--with-masks", action="store_true",
                        help="also write each object's masks (COCO RLE, in the video's own pixels)")
    add_estimator_arguments(parser)


def main(args: argparse.Namespace) -> int:
    from ..fileio import OutputSet
    from ..video import read_video
    from .estimate import estimate_physics

    options = options_from_args(args)
    # The output is reserved first (refused when it names the video) and appears whole or not at all.
    with OutputSet(inputs=[args.video, *options.input_paths()]) as outputs:
        output = outputs.add(args.output, "physics output")
        clip = read_video(args.video, max_side=options.analysis_max_side, with_audio=False,
                          progress=ConsoleProgress("decode"))
        tracks = estimate_physics(clip, options=options, progress=ConsoleProgress("estimate"))
        tracks.save(output, masks=args.with_masks)
    n_imp = sum(len(o.impacts) for o in tracks.objects)
    for w in tracks.warnings:
        print(f"note: {w}", file=sys.stderr)
    print(f"wrote {args.output}: {len(tracks.objects)} objects, {n_imp} impacts, "
          f"scale from {tracks.geometry.metric_scale_source}")
    return 0
