"""How much louder is generated sound at the true impacts after an edit of the physics? (×10 mass, ×2 speed)

    python bench/tiny_generate_heldout.py --dataset DIR --tiny FILE --out GEN/base
    python bench/tiny_generate_heldout.py --dataset DIR --tiny FILE --out GEN/mass10 --mass-scale 10
    python bench/onset_level_change.py --dataset DIR --base GEN/base --edited GEN/mass10

For every true impact of every clip (physics.json of the dataset) that APCC would use (inside the
audio, no other impact within its masking gap), the onset intensity (APCC's default: mel power in
dB around the impact time, pavas_core.metrics.apcc.clip_measures) of the edited sound minus that of
the base sound, both generated from the same video, seed and steps. Prints the median, mean and
interquartile range of the change in dB and the share of impacts that got louder. The reference
synthesizer gives +10 dB for ×10 ΔKE (bench/synth_loudness.py: slope 1 dB per dB).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    from pavas_core.metrics.apcc import ApccConfig, clip_measures
    from pavas_core.metrics.cli import dataset_scene_ids
    from pavas_core.physics.tracks import PhysicsTracks
    from pavas_core.video import read_audio

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dataset", required=True, metavar="DIR")
    ap.add_argument("--base", required=True, metavar="GEN", help="<scene_id>.wav generated from the physics as estimated")
    ap.add_argument("--edited", required=True, metavar="GEN", help="<scene_id>.wav generated from the edited physics")
    args = ap.parse_args()
    root = Path(args.dataset)
    changes = []
    for sid in dataset_scene_ids(root):
        times = [im.time_s for o in PhysicsTracks.load(root / sid / "physics.json").objects for im in o.impacts
                 if im.sonified]  # as APCC: an impact kept silent made no sound to measure
        if not times:
            continue
        base, base_masked = clip_measures(read_audio(Path(args.base) / f"{sid}.wav"), times, ApccConfig())
        edited, _ = clip_measures(read_audio(Path(args.edited) / f"{sid}.wav"), times, ApccConfig())
        use = ~base_masked & np.isfinite(base) & np.isfinite(edited)
        changes.extend((edited - base)[use].tolist())
    d = np.asarray(changes)
    if d.size == 0:
        print("no usable impacts")
        return 1
    q1, q3 = np.percentile(d, [25, 75])
    print(f"{d.size} impacts: onset intensity change median {np.median(d):+.2f} dB, mean {d.mean():+.2f} dB, "
          f"IQR {q1:+.2f} … {q3:+.2f} dB; louder at {100 * np.mean(d > 0):.0f} % of impacts")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
