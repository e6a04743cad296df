"""How close in time are the detected onsets of generated sound to the true impacts? (sync, not just recall)

    python bench/onset_timing.py --dataset DIR --generated GEN [GEN ...] [--reference]

MMAudio's onset accuracy matches an impact with any detected onset within 0.3 s — at bouncing-ball
densities (several impacts a second) a sound with onsets in roughly the right places scores well
without being in sync. This bench detects the onsets exactly as the metric does (librosa's
onset_detect at 22 050 Hz, then the 0.05-s non-maximum suppression: pavas_core.metrics.onsets) and,
for every sounding true impact, takes the distance to the nearest detected onset. It prints, per
folder of <scene_id>.wav: the share of impacts with an onset within 50 ms (in sync at the 40-ms
frame period of a 25-fps video) and within 0.3 s, the 50-ms share for the quietest and the loudest
third of the impacts of each clip (by ΔKE), and for impacts that come within 0.2 s of the previous
one or more than 0.4 s after it. `--reference` adds the dataset's own scene.wav as a row.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def impact_rows(times_s: np.ndarray, delta_ke_j: np.ndarray, onsets_s: np.ndarray) -> np.ndarray:
    """Per impact (sorted by time): [ΔKE rank in the clip (0 quietest … 1 loudest), gap to the previous
    impact (s; inf for the first), distance to the nearest detected onset (s; inf without any)]."""
    order = np.argsort(times_s, kind="stable")
    times_s, delta_ke_j = times_s[order], delta_ke_j[order]
    rank = np.argsort(np.argsort(delta_ke_j, kind="stable"), kind="stable") / max(1, times_s.size - 1)
    gap = np.concatenate([[np.inf], np.diff(times_s)])
    nearest = (np.abs(onsets_s[None, :] - times_s[:, None]).min(axis=1) if onsets_s.size
               else np.full(times_s.size, np.inf))
    return np.stack([rank, gap, nearest], axis=1)


def main() -> int:
    from pavas_core.metrics.cli import dataset_scene_ids
    from pavas_core.metrics.onsets import DURATION_S, detected_onsets_s
    from pavas_core.physics.tracks import PhysicsTracks
    from pavas_core.video import read_audio

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dataset", required=True, metavar="DIR")
    ap.add_argument("--generated", nargs="+", default=[], metavar="GEN", help="folders of <scene_id>.wav")
    ap.add_argument("--reference", action="store_true", help="also the dataset's own scene.wav")
    args = ap.parse_args()
    root = Path(args.dataset)
    sources = ([("reference", None)] if args.reference else []) + [(g, Path(g)) for g in args.generated]
    if not sources:
        ap.error("give --generated folders and/or --reference")

    def onsets_of(path: Path) -> np.ndarray:
        audio = read_audio(path)
        return detected_onsets_s(audio.waveform, audio.sample_rate_hz)

    rows: dict[str, list[np.ndarray]] = {name: [] for name, _ in sources}
    for sid in dataset_scene_ids(root):
        impacts = [(im.time_s, im.delta_ke_j) for o in PhysicsTracks.load(root / sid / "physics.json").objects
                   for im in o.impacts if im.sonified and im.time_s < DURATION_S]
        if not impacts:
            continue
        times, energy = (np.array(v, dtype=np.float64) for v in zip(*impacts))
        for name, folder in sources:
            path = root / sid / "scene.wav" if folder is None else folder / f"{sid}.wav"
            rows[name].append(impact_rows(times, energy, onsets_of(path)))
    print("| sound | impacts | onset ≤ 50 ms | ≤ 0.3 s | ≤ 50 ms, quietest third | loudest third "
          "| gap < 0.2 s | gap > 0.4 s |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, parts in rows.items():
        if not parts:
            continue
        r = np.concatenate(parts)
        rank, gap, near = r.T
        in_sync = near <= 0.05

        def share(mask: np.ndarray) -> str:
            return f"{in_sync[mask].mean():.2f}" if mask.any() else "n/a"

        print(f"| {name} | {r.shape[0]} | {in_sync.mean():.2f} | {(near <= 0.3).mean():.2f} | "
              f"{share(rank < 1 / 3)} | {share(rank > 2 / 3)} | {share(gap < 0.2)} | {share(gap > 0.4)} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
