"""The weight-free segmentation's shadow test, pixel by pixel, against shadow-free twins; and a small
learned shadow classifier trained on such twins, scored the same way and end to end.

    python bench/shadow_twins.py --data D1 [D2 ...] [--train T1 [T2 ...]] [--estimate] [--steps 4000]

Each dataset D is made by `synth-dataset D --rigid --seed S` and has a twin made by
`synth-dataset nsD --rigid --no-shadows --seed S` beside it (the folder's name with "ns" in front):
the same motion and truth, no cast shadow. A frame's true shadow is where it is darker than its
twin's frame (by more than SHADOW_LABEL_DN on average over the channels, off the true bodies grown
by a pixel), its bodies the truth's masks. The segmentation's own shadow test is called where the
estimator calls it (every frame's difference image, around its moving blobs), and scored over the
pixels it can call shadow at all (darker than the background in every channel), on every second
frame: the share of the
true shadow pixels it takes out of the difference image, and the share of the body pixels it
takes out with them.

With --train, a convolutional classifier (`ShadowNet`, 13×13 pixels of context, some 8,000
weights: the frame, the background and their log ratio in, a shadow logit out) is trained on the
twins of the T datasets (every second frame) and scored on the D datasets beside the rule. With
--estimate the estimator then runs on the D datasets with the classifier in place of the rule
(`segmentation.cast_shadow`; a pixel is shadow where its probability is over 0.5 and it is darker
than the background in every channel) and its impacts are scored as `physics_accuracy.py` does
(recall of true impacts ≥ 1 m/s within ±1 frame, precision of the sonified estimates ≥ 1 m/s).
The estimator's own figures on the same datasets come from `physics_accuracy.py --data D`, the
twins' (no shadow at all) from `physics_accuracy.py --data nsD`.

The classifier is a measurement, not part of the estimator: see README (thirtieth session).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import ndimage

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pavas_core.physics import segmentation  # noqa: E402
from pavas_core.physics.tracks import PhysicsTracks  # noqa: E402
from pavas_core.video import read_video  # noqa: E402

ANALYSIS_SIDE = 320
SHADOW_LABEL_DN = 4.0  # a pixel darker than its twin by more than this (mean over RGB) is in a shadow
CROP_MARGIN_PX = 6


@dataclass
class ShadowCrop:
    """One frame's region where the shadow test runs (all its moving blobs), with its labels."""

    frame: np.ndarray  # (h, w, 3) float32, the frame as the shadow test sees it
    background: np.ndarray  # (h, w, 3) float32, the background it is compared with
    noise: float  # the clip's sensor noise (DN)
    shadow: np.ndarray  # (h, w) bool, true cast shadow (darker than the twin, off the bodies)
    body: np.ndarray  # (h, w) bool, the truth's bodies


def twin_folder(dataset: Path) -> Path:
    return dataset.parent / ("ns" + dataset.name)


def shadow_labels(frame_u8: np.ndarray, twin_u8: np.ndarray, body: np.ndarray) -> np.ndarray:
    """(H, W) bool: pixels of a cast shadow: darker than the shadow-free twin, and not on a body
    (a body's own pixels are the same in both renders; its edge, grown by a pixel, is left out
    because the codec blurs it differently in the two videos)."""
    darker = (twin_u8.astype(np.float32) - frame_u8.astype(np.float32)).mean(axis=-1) > SHADOW_LABEL_DN
    return darker & ~ndimage.binary_dilation(body, iterations=1)


def scene_crops(scene: Path, twin: Path, every: int = 1) -> list[ShadowCrop]:
    """The shadow test's inputs on every `every`-th frame of a scene, labelled from its twin."""
    clip = read_video(scene / "scene.mp4", max_side=ANALYSIS_SIDE, with_audio=False)
    twin_frames = read_video(twin / "scene.mp4", max_side=ANALYSIS_SIDE, with_audio=False).frames
    truth = PhysicsTracks.load(scene / "physics.json")
    frames = clip.frames
    t, h, w = frames.shape[:3]
    bodies = [o.masks.resized((w, h)) for o in truth.objects if o.masks is not None]
    seen: list[tuple | None] = []
    rule = segmentation._remove_shadows

    def record(diff, frame, background, coarse_lo, *, noise):
        k = len(seen)
        seen.append(None)
        if k % every == 0:
            half = segmentation._half(diff)
            weak = np.einsum("ijk,ijk->ij", half, half) > coarse_lo
            if weak.any():
                ys, xs = np.nonzero(weak)
                box = (max(2 * int(ys.min()) - CROP_MARGIN_PX, 0), min(2 * int(ys.max()) + 2 + CROP_MARGIN_PX, h),
                       max(2 * int(xs.min()) - CROP_MARGIN_PX, 0), min(2 * int(xs.max()) + 2 + CROP_MARGIN_PX, w))
                y0, y1, x0, x1 = box
                seen[-1] = (box, frame[y0:y1, x0:x1].copy(), background[y0:y1, x0:x1].copy(), float(noise))
        rule(diff, frame, background, coarse_lo, noise=noise)

    segmentation._remove_shadows = record
    try:
        segmentation.segment_motion(frames)
    finally:
        segmentation._remove_shadows = rule
    if len(seen) != t:  # one call per frame: anything else is a segmentation this bench does not know
        raise RuntimeError(f"{scene}: the shadow test ran {len(seen)} times for {t} frames")
    crops = []
    for k, item in enumerate(seen):
        if item is None:
            continue
        (y0, y1, x0, x1), frame, background, noise = item
        body = np.zeros((h, w), bool)
        for masks in bodies:
            dense = masks.dense(k)
            if dense is not None:
                body |= dense
        crops.append(ShadowCrop(frame, background, noise,
                                shadow_labels(frames[k], twin_frames[k], body)[y0:y1, x0:x1], body[y0:y1, x0:x1]))
    return crops


def dataset_crops(dataset: Path, every: int) -> list[ShadowCrop]:
    index = json.loads((dataset / "index.json").read_text())
    crops = []
    for entry in index["scenes"]:
        crops += scene_crops(dataset / entry["dir"], twin_folder(dataset) / entry["dir"], every)
    return crops


@dataclass
class PixelScore:
    shadow: int = 0  # true shadow pixels that a test may call shadow (candidates)
    shadow_taken: int = 0
    body: int = 0  # body pixels among the candidates
    body_taken: int = 0

    def add(self, called: np.ndarray, crop: ShadowCrop) -> None:
        cand = segmentation.shadow_candidates(crop.frame, crop.background, noise=crop.noise)
        self.shadow += int((cand & crop.shadow).sum())
        self.shadow_taken += int((called & cand & crop.shadow).sum())
        self.body += int((cand & crop.body).sum())
        self.body_taken += int((called & cand & crop.body).sum())

    def line(self, name: str) -> str:
        return (f"{name}: shadow pixels taken {self.shadow_taken} / {self.shadow} "
                f"({self.shadow_taken / max(self.shadow, 1):.3f}), body pixels taken {self.body_taken} / {self.body} "
                f"({self.body_taken / max(self.body, 1):.4f})")


def features(frame: np.ndarray, background: np.ndarray, noise: float) -> np.ndarray:
    """(9, H, W) float32: the frame and background scaled to [0, 1], and their log ratio per channel."""
    eps = 4.0 + noise
    log_ratio = np.log((frame + eps) / (background + eps))
    return np.concatenate([frame / 255.0, background / 255.0, log_ratio], axis=-1).transpose(2, 0, 1).astype(np.float32)


def make_net(channels: int = 16):
    """Four 3×3 convolutions (the last two dilated by 2: 13×13 pixels of context) and a 1×1 logit."""
    import torch.nn as nn

    return nn.Sequential(
        nn.Conv2d(9, channels, 3, padding=1), nn.ReLU(),
        nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU(),
        nn.Conv2d(channels, channels, 3, padding=2, dilation=2), nn.ReLU(),
        nn.Conv2d(channels, channels, 3, padding=2, dilation=2), nn.ReLU(),
        nn.Conv2d(channels, 1, 1))


BODY_WEIGHT = 3.0  # a body pixel called shadow costs three times a shadow pixel missed: it cuts the body
PATCH_PX = 40


def train_net(crops: list[ShadowCrop], *, steps: int, seed: int = 0, batch: int = 48):
    """Train `make_net` on the candidates of `crops`: 1 on a true shadow, 0 on a body, others unused."""
    import torch
    import torch.nn.functional as F

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    data = []
    for c in crops:
        cand = segmentation.shadow_candidates(c.frame, c.background, noise=c.noise)
        y = np.full(cand.shape, -1, np.int8)
        y[cand & c.body] = 0
        y[cand & c.shadow] = 1
        if (y >= 0).any():
            data.append((features(c.frame, c.background, c.noise).astype(np.float16), y, np.argwhere(y >= 0)))
    if not data:
        raise ValueError("no labelled pixel (shadow or body among the candidates) in the training datasets")
    net = make_net()
    opt = torch.optim.Adam(net.parameters(), 2e-3)
    for step in range(steps):
        xs = np.zeros((batch, 9, PATCH_PX, PATCH_PX), np.float32)
        ys = np.full((batch, PATCH_PX, PATCH_PX), -1, np.int64)
        for i in range(batch):
            x, y, labelled = data[rng.integers(len(data))]
            cy, cx = labelled[rng.integers(len(labelled))]
            y0 = int(np.clip(cy - PATCH_PX // 2, 0, max(y.shape[0] - PATCH_PX, 0)))
            x0 = int(np.clip(cx - PATCH_PX // 2, 0, max(y.shape[1] - PATCH_PX, 0)))
            xp, yp = x[:, y0:y0 + PATCH_PX, x0:x0 + PATCH_PX], y[y0:y0 + PATCH_PX, x0:x0 + PATCH_PX]
            xs[i, :, :xp.shape[1], :xp.shape[2]] = xp
            ys[i, :yp.shape[0], :yp.shape[1]] = yp
        x, y = torch.from_numpy(xs), torch.from_numpy(ys)
        logit = net(x)[:, 0]
        m = y >= 0
        weight = torch.where(y[m] == 0, BODY_WEIGHT, 1.0)
        loss = (F.binary_cross_entropy_with_logits(logit[m], y[m].float(), reduction="none") * weight).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step == 2 * steps // 3:
            for group in opt.param_groups:
                group["lr"] = 5e-4
        if step % 500 == 0:
            print(f"  step {step}: loss {float(loss.detach()):.4f}", flush=True)
    return net.eval()


def net_shadow_test(net, threshold: float = 0.5):
    """A drop-in for `segmentation.cast_shadow` that asks the classifier (over the candidates' box)."""
    import torch

    def cast_shadow(frame: np.ndarray, background: np.ndarray, *, noise: float) -> np.ndarray:
        cand = segmentation.shadow_candidates(frame, background, noise=noise)
        out = np.zeros(cand.shape, bool)
        if not cand.any():
            return out
        rows, cols = np.flatnonzero(cand.any(axis=1)), np.flatnonzero(cand.any(axis=0))
        h, w = cand.shape
        y0, y1 = max(int(rows[0]) - CROP_MARGIN_PX, 0), min(int(rows[-1]) + CROP_MARGIN_PX + 1, h)
        x0, x1 = max(int(cols[0]) - CROP_MARGIN_PX, 0), min(int(cols[-1]) + CROP_MARGIN_PX + 1, w)
        x = torch.from_numpy(features(frame[y0:y1, x0:x1].astype(np.float32),
                                      background[y0:y1, x0:x1].astype(np.float32), noise))[None]
        with torch.no_grad():
            logit = net(x)[0, 0].numpy()
        out[y0:y1, x0:x1] = (logit > np.log(threshold / (1.0 - threshold))) & cand[y0:y1, x0:x1]
        return out

    return cast_shadow


def estimate_with(datasets: list[Path], shadow_test) -> str:
    """Recall / precision of the estimator on `datasets` with `shadow_test` as its shadow test."""
    from pavas_core.physics.estimate import EstimateOptions, estimate_physics
    from pavas_core.scenes.evaluate import match_impacts

    rule = segmentation.cast_shadow
    segmentation.cast_shadow = shadow_test
    hits = total = matched = fast = 0
    try:
        for dataset in datasets:
            for entry in json.loads((dataset / "index.json").read_text())["scenes"]:
                folder = dataset / entry["dir"]
                truth = PhysicsTracks.load(folder / "physics.json")
                clip = read_video(folder / "scene.mp4", max_side=ANALYSIS_SIDE, with_audio=False)
                match = match_impacts(truth, estimate_physics(clip, options=EstimateOptions(analysis_max_side=ANALYSIS_SIDE)))
                hits, total = hits + match.recall_hits, total + match.recall_total
                matched, fast = matched + match.matched_fast_estimates, fast + match.total_fast_estimates
    finally:
        segmentation.cast_shadow = rule
    return (f"estimator with the classifier: recall {hits} / {total} ({hits / max(total, 1):.3f}), "
            f"precision {matched} / {fast} ({matched / max(fast, 1):.3f})")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, nargs="+", required=True, help="rigid datasets to score (twins beside them)")
    ap.add_argument("--train", type=Path, nargs="*", default=[], help="rigid datasets to train the classifier on")
    ap.add_argument("--steps", type=int, default=4000)
    ap.add_argument("--estimate", action="store_true", help="also run the estimator with the classifier")
    args = ap.parse_args(argv)
    for dataset in args.data + args.train:
        if not (twin_folder(dataset) / "index.json").exists():
            ap.error(f"{dataset} has no shadow-free twin at {twin_folder(dataset)} "
                     "(synth-dataset --rigid --no-shadows with the same --seed and --n)")
    test = [c for d in args.data for c in dataset_crops(d, every=2)]
    rule = PixelScore()
    for c in test:
        rule.add(segmentation.cast_shadow(c.frame, c.background, noise=c.noise), c)
    print(rule.line("the rule (segmentation.cast_shadow)"))
    if not args.train:
        return 0
    try:
        net = train_net([c for d in args.train for c in dataset_crops(d, every=2)], steps=args.steps)
    except ValueError as err:
        ap.error(str(err))
    learned, test_net = PixelScore(), net_shadow_test(net)
    for c in test:
        learned.add(test_net(c.frame, c.background, noise=c.noise), c)
    print(learned.line("the classifier"))
    if args.estimate:
        print(estimate_with(args.data, test_net))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
