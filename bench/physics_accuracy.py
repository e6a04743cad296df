"""Accuracy and speed of the weight-free physics estimator on synthetic scenes with exact ground truth.

    python bench/physics_accuracy.py --n 24 --seed 7 [--data DIR [DIR ...]] [--keep] [--rigid | --kinds bounce,glider,cuts]

Generates N scenes with `synth-dataset` (or reuses DIR), then runs the real path on each clip:
read_video(scene.mp4, max_side=320) → estimate_physics → match the impacts with physics.json.
Datasets made with `synth-dataset --camera-motion dolly` are scored the same way (their truth is in
the world frame). Prints impact recall / precision (contact within ±1 frame, each with a 95 % bootstrap
interval over the scenes: a seed of 24 scenes is one draw), the median and 90th-percentile
relative error of v_before (true impacts ≥ 1 m/s whose object is in the picture), the metric-scale
sources used, the impacts kept silent (by reason), and for the scene kinds of kinds.py: sonified
impacts within 0.25 s of a true cut (violations: there must be none) and sonified impacts of an
estimated object that is the glider (matched by masks; false alarms: it never hits anything);
and timings: estimation time against the decode time of the same clip (the baseline
measured in this run) and against the clip's duration (real-time factor), plus one 8 s 640×360
30 fps clip.

Several DIRs (datasets already made, all of one kind: rigid or not) are scored as one pool: every
figure and interval is over all their scenes (a seed of 24 scenes is one draw; a pool of seeds says
more), and a line per dataset gives its own recall, precision and speed error first.

With rigid-body scenes (`--rigid`, or a DIR made by `synth-dataset --rigid`) it also prints the
recall by action, the recall by how fast the body met the surface along gravity (a contact counts
when its whole speed is ≥ 1 m/s, and most of that can be a slide along the floor), the misses by
their usual cause (a toppling body; a contact within 3 frames of the previous one; found on its
object but 1-4.5 frames off; a first contact; other), the impacts
reported on objects that only roll or slide (each one invented), and skips the timing clip.

`--save FILE` writes what each true impact and each sounded estimate came to, scene by scene (JSON);
`--compare FILE` then scores a later run against that one on the scenes both scored: the impacts
found by one run only, each way, the exact two-sided sign test over them (McNemar's: is one run
better, or did the change only reshuffle which impacts are found?), and the false alarms ≥ 1 m/s of
each. A change to the estimator moves many impacts both ways, so a few more found overall can be
a reshuffle rather than a gain.

`--masks truth` (rigid datasets) hands the estimator the truth's masks instead of its own motion
segmentation, one object per true object, as a perfect segmenter would (`estimate_with_masks`: the
stages after "Object Masks" with a MASK connected). The geometry, dynamics and gating are the
estimator's own, so the figures part what the weight-free segmentation loses from what the physics
after it loses; the timings are then those of that path. Two hybrids part it further
(`masks_by_true_body`; each runs the estimator's own path first, then the given-masks path, on
one decoded clip):
`--masks own` hands over the estimator's own masks, each frame's given to the true body it
overlaps most (its pixels, the truth's identities: what its tracking and object discovery lose);
`--masks seen` hands over the truth's masks only in the frames where the estimator's own masks
cover that body (the truth's pixels, its visibility: what the frames it does not see lose).
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pavas_core.physics.estimate import (EstimateOptions, assemble_physics, estimate_physics,  # noqa: E402
                                         finish_gating, run_stage, settle_masses)
from pavas_core.physics.masks import ObjectMasks  # noqa: E402
from pavas_core.physics.stages import DiscoveredObject, Discovery, make_context  # noqa: E402
from pavas_core.physics.stages.mask_input import observe_given  # noqa: E402
from pavas_core.physics.tracks import Impact, ObjectTrack, PhysicsTracks  # noqa: E402
from pavas_core.scenes.dataset import synth_dataset, write_scene  # noqa: E402
from pavas_core.scenes.rigid_evaluate import (APPROACH_CLASSES, SPEED_CHANGE_CLASSES, NoImpactScore, approach_class,  # noqa: E402
                                              impacts_on_no_impact_objects, speed_change_class)
from pavas_core.scenes.rigid import RIGID_RESOLUTIONS  # noqa: E402
from pavas_core.physics.gating import MIN_FLIGHT_SAMPLES  # noqa: E402
from pavas_core.physics.shots import IMPACT_GUARD_S  # noqa: E402
from pavas_core.scenes.evaluate import (MIN_RECALL_SPEED_MPS, ImpactMatch, counts_for_recall,  # noqa: E402
                                       flight_frames_seen, match_impacts, match_masks, owner_of_impact, scene_bootstrap_interval, summarize)
from pavas_core.scenes.kinds import GLIDER_ACTION  # noqa: E402
from pavas_core.scenes.scene import sample_scene, with_overrides  # noqa: E402
from pavas_core.video import Clip, read_video  # noqa: E402

ANALYSIS_SIDE = 320
OUTCOMES_VERSION = 1


def scene_outcomes(truth: PhysicsTracks, m: ImpactMatch) -> dict:
    """What one scene's true impacts (those recall counts) and sounded estimates came to:
    {"found": [[object, time s], ...], "missed": [...], "false_alarms": [[object, time s, v_before], ...]}
    (times rounded as match_impacts lists its misses, so one impact has one key in every run)."""
    missed = sorted([oid, t] for oid, t, _ in m.missed)
    missed_keys = {tuple(k) for k in missed}
    counted = sorted([o.id, round(im.time_s, 4)] for o in truth.objects for im in o.impacts if counts_for_recall(im))
    return {"found": [k for k in counted if tuple(k) not in missed_keys], "missed": missed,
            "false_alarms": sorted([oid, t, v] for oid, t, v in m.false_alarms)}


@dataclass
class RunComparison:
    """Two runs' outcomes on the scenes both scored (see `compare_outcomes`)."""

    scenes: int
    true_impacts: int
    found_here: int
    found_there: int
    here_only: list[tuple[str, int, float]]  # (scene, object, time s): found by this run, missed by the other
    there_only: list[tuple[str, int, float]]
    fast_false_here: int  # sounded estimates ≥ 1 m/s that match no true impact
    fast_false_there: int
    p_value: float  # exact two-sided sign test over the impacts one run found and the other missed


def compare_outcomes(here: dict, there: dict, *, min_speed_mps: float = MIN_RECALL_SPEED_MPS) -> RunComparison:
    """This run's outcomes (`scene_outcomes` per scene) against another's, on the scenes both have.

    Each true impact that one run found and the other missed is a discordant pair; under "neither
    run is better" they fall either way with probability ½ (McNemar's exact test), so a gain of a
    few impacts among many moved both ways is a reshuffle, not an improvement."""
    common = sorted(set(here) & set(there))
    here_only, there_only = [], []
    true_n = found_a = found_b = fa_a = fa_b = 0
    for scene in common:
        a, b = here[scene], there[scene]
        fa, fb = {tuple(k) for k in a["found"]}, {tuple(k) for k in b["found"]}
        true_n += len(a["found"]) + len(a["missed"])
        found_a, found_b = found_a + len(fa), found_b + len(fb)
        here_only += [(scene, int(o), float(t)) for o, t in sorted(fa - fb)]
        there_only += [(scene, int(o), float(t)) for o, t in sorted(fb - fa)]
        fa_a += sum(v >= min_speed_mps for _, _, v in a["false_alarms"])
        fa_b += sum(v >= min_speed_mps for _, _, v in b["false_alarms"])
    n = len(here_only) + len(there_only)
    p = float(stats.binomtest(len(here_only), n, 0.5).pvalue) if n else 1.0
    return RunComparison(len(common), true_n, found_a, found_b, here_only, there_only, fa_a, fa_b, p)


def comparison_lines(c: RunComparison, other: str) -> list[str]:
    """The comparison as printed."""
    return [f"against {other} ({c.scenes} scenes in both, {c.true_impacts} true impacts): found {c.found_here} here, "
            f"{c.found_there} there; {len(c.here_only)} found only here, {len(c.there_only)} only there "
            f"(exact sign test p = {c.p_value:.3g}); false alarms ≥ {MIN_RECALL_SPEED_MPS:g} m/s "
            f"{c.fast_false_here} here, {c.fast_false_there} there",
            "  found only here: " + (", ".join(f"{s} #{o} {t:.3f} s" for s, o, t in c.here_only) or "none"),
            "  found only there: " + (", ".join(f"{s} #{o} {t:.3f} s" for s, o, t in c.there_only) or "none")]


def load_outcomes(path: Path) -> dict:
    """The per-scene outcomes a `--save` wrote."""
    data = json.loads(Path(path).read_text())
    scenes = data.get("scenes") if isinstance(data, dict) and data.get("version") == OUTCOMES_VERSION else None
    if not isinstance(scenes, dict) or not all(
            isinstance(v, dict) and all(isinstance(v.get(k), list) for k in ("found", "missed", "false_alarms"))
            for v in scenes.values()):
        raise ValueError(f"{path}: not an outcomes file of this bench (--save writes one)")
    return scenes


def estimate_with_masks(clip: Clip, masks: list[ObjectMasks]) -> PhysicsTracks:
    """The estimator given one set of masks per object (from any segmenter): one generic object per
    set, the masks as the observation, then geometry, mass, dynamics and gating as
    `estimate_physics` runs them, over the whole clip (not shot by shot: its cuts, if any, are
    only warned about, which is why the bench asks for rigid datasets)."""
    options = EstimateOptions(analysis_max_side=ANALYSIS_SIDE, masks="mask_input").validate()
    ctx = make_context(clip, analysis_max_side=options.analysis_max_side)
    discovery = Discovery([DiscoveredObject("object", "generic") for _ in masks], backend="given masks", context=ctx)
    observation = observe_given(ctx, discovery, masks)
    geometry = run_stage("geometry", options, ctx, discovery, observation)
    masses = settle_masses(discovery, run_stage("mass", options, ctx, discovery, geometry), options)
    return finish_gating(assemble_physics(ctx, discovery, observation, geometry, masses, options))


OWNER_SHARE = 0.3  # a mask goes to the true body holding at least this share of its pixels


def masks_by_true_body(own: list[ObjectMasks], truth: list[ObjectMasks], *, keep: str) -> list[ObjectMasks]:
    """One mask set per true body, in the grid of `own` (another segmenter's masks, any number of
    objects): in each frame, each of `own`'s masks goes to the true body whose mask holds most of
    its pixels (at least OWNER_SHARE of them). keep="own": the masks it got, joined (the
    segmenter's pixels under the truth's identities); keep="truth": the truth's own mask in the
    frames where it got any (the truth's pixels where the segmenter saw the body)."""
    if keep not in ("own", "truth"):
        raise ValueError(f"keep: 'own' or 'truth', not {keep!r}")
    if not truth:
        return []
    n_frames = truth[0].num_frames
    grid = own[0].grid_size if own else truth[0].grid_size
    bodies = [m.resized(grid) for m in truth]
    got: list[list[np.ndarray | None]] = [[None] * n_frames for _ in truth]
    for k in range(n_frames):
        body_k = [b.dense(k) for b in bodies]
        for o in own:
            mask = o.dense(k)
            if mask is None:
                continue
            shares = [0 if b is None else int(np.count_nonzero(mask & b)) for b in body_k]
            i = int(np.argmax(shares))
            if shares[i] < OWNER_SHARE * np.count_nonzero(mask):
                continue
            got[i][k] = mask if got[i][k] is None else got[i][k] | mask
    if keep == "truth":
        got = [[bodies[i].dense(k) if got[i][k] is not None else None for k in range(n_frames)]
               for i in range(len(truth))]
    return [ObjectMasks.from_dense(frames, grid) for frames in got]


def timed_estimate(video: Path, max_objects: int | None = None, masks: list[ObjectMasks] | None = None,
                   regroup: str | None = None) -> tuple[PhysicsTracks, float, float, float, float]:
    """→ (estimate, decode wall s, estimate wall s, estimate CPU s, clip duration s). masks: one set
    per object to use instead of the estimator's own segmentation (`estimate_with_masks`); with
    regroup ("own" or "truth"), `masks` are the truth's and the estimator's own masks of the same
    decoded clip are regrouped by them first (`masks_by_true_body`; the timings then hold both runs)."""
    t0 = time.perf_counter()
    clip = read_video(video, max_side=ANALYSIS_SIDE, with_audio=False)
    t1 = time.perf_counter()
    c1 = time.process_time()
    extra = {} if max_objects is None else {"max_objects": max_objects}
    options = EstimateOptions(analysis_max_side=ANALYSIS_SIDE, **extra)
    if masks is not None and regroup is not None:
        own = estimate_physics(clip, options=options)
        masks = masks_by_true_body([o.masks for o in own.objects if o.masks is not None], masks, keep=regroup)
    if masks is not None:
        est = estimate_with_masks(clip, masks)
    else:
        est = estimate_physics(clip, options=options)
    t2 = time.perf_counter()
    c2 = time.process_time()
    return est, t1 - t0, t2 - t1, c2 - c1, clip.duration_s


def per_dataset_lines(per_set: dict[str, ImpactMatch]) -> list[str]:
    """One line per dataset of a pool: its recall (found of true), precision ≥ 1 m/s (real of
    estimated) and median v_before error."""
    lines = []
    for name, m in per_set.items():
        s = summarize(m)
        err = s["v_before_rel_error_median"]
        lines.append(f"  {name}: recall {m.recall_hits}/{m.recall_total} = {s['recall']:.3f}, precision "
                     f"{m.matched_fast_estimates}/{m.total_fast_estimates} = {s['precision_fast']:.3f}, median "
                     f"v_before error " + ("-" if np.isnan(err) else f"{100 * err:.1f} %"))
    return lines


def class_counts(counts: dict[str, list[int]], classes: tuple[tuple[float, str], ...]) -> str:
    """'label found/true (recall)' for each class of `classes` that has true impacts, in its order."""
    return ", ".join(f"{label} {counts[label][0]}/{counts[label][1]} ({counts[label][0] / counts[label][1]:.3f})"
                     for _, label in classes if counts.get(label, [0, 0])[1])


MISS_NEAR_FRAMES = 4.5  # an estimate on the same object this close in time: found, but off in time


def rigid_miss_kind(truth: PhysicsTracks, obj: ObjectTrack, impact: Impact, estimate: PhysicsTracks) -> str:
    """Why true impact `impact` of `obj` (rigid-body scene) was missed, in a few words (the usual causes)."""
    earlier = [im.time_s for im in obj.impacts if im.time_s < impact.time_s - 1e-9]
    if "free_flight_s" in impact.extra:  # the engine's (truth made before it lacks it); as recall_observable counts
        if flight_frames_seen(obj, impact, truth.fps) < MIN_FLIGHT_SAMPLES:
            return (f"under {MIN_FLIGHT_SAMPLES} frames of free flight seen before it (a topple, a turn about an edge, "
                    "a bump while sliding)")
    elif obj.action == "toppling":
        return "toppling (pivots on an edge: no free fall)"
    elif earlier and (impact.time_s - earlier[-1]) * truth.fps < MIN_FLIGHT_SAMPLES:
        return f"within {MIN_FLIGHT_SAMPLES} frames of the previous contact (no flight between)"
    for est in estimate.objects:
        for im in est.impacts:
            if im.sonified and abs(im.time_s - impact.time_s) * truth.fps <= MISS_NEAR_FRAMES:
                owner = owner_of_impact(truth, est, im.frame)
                if owner is not None and owner.id == obj.id:
                    return f"found on its object, 1-{MISS_NEAR_FRAMES:g} frames off"
    if not earlier:
        return "first contact"
    return "other"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=24)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data", type=Path, nargs="+", default=None,
                    help="reuse (or create) the dataset in this directory; several (made already): one pool")
    ap.add_argument("--keep", action="store_true", help="keep the generated dataset (with --data)")
    ap.add_argument("--verbose", action="store_true", help="list misses and false alarms per scene")
    ap.add_argument("--rigid", action="store_true", help="generate rigid-body scenes (synth-dataset --rigid)")
    ap.add_argument("--no-timing-clip", "--no-timing", dest="no_timing_clip", action="store_true",
                    help="skip the 8 s timing clip")
    ap.add_argument("--max-objects", type=int, default=None, help="the estimator's --max-objects (its default)")
    ap.add_argument("--kinds", default="bounce", help="scene kinds when generating (see synth-dataset --kinds)")
    ap.add_argument("--masks", choices=("estimator", "truth", "own", "seen"), default="estimator",
                    help="whose object masks: the estimator's own segmentation (default) or the truth's "
                         "(rigid datasets: a perfect segmenter, the physics after it the estimator's); "
                         "own: the estimator's masks under the truth's identities; seen: the truth's "
                         "masks where the estimator's own cover the body")
    ap.add_argument("--save", type=Path, default=None,
                    help="write what each true impact and sounded estimate came to, scene by scene (JSON)")
    ap.add_argument("--compare", type=Path, default=None,
                    help="score this run against the outcomes another run saved (--save): impacts found by one "
                         "run only, the sign test over them, false alarms")
    args = ap.parse_args(argv)
    earlier = None
    if args.compare is not None:
        try:
            earlier = load_outcomes(args.compare)
        except (OSError, ValueError) as exc:
            ap.error(f"--compare: {exc}")

    tmp = None
    datas = args.data
    if datas is None:
        tmp = tempfile.TemporaryDirectory(prefix="pavas_bench_")
        datas = [Path(tmp.name)]
    t_gen = time.perf_counter()
    if len(datas) == 1 and not (datas[0] / "index.json").exists():
        synth_dataset(datas[0], n=args.n, seed=args.seed, rigid=args.rigid,
                      **({"resolutions": RIGID_RESOLUTIONS} if args.rigid else {"kinds": tuple(args.kinds.split(","))}))
    t_gen = time.perf_counter() - t_gen
    missing = [str(d) for d in datas if not (d / "index.json").exists()]
    if missing:
        ap.error(f"no dataset (index.json) in {', '.join(missing)}: a pool is made of datasets made already")
    indexes = [json.loads((d / "index.json").read_text()) for d in datas]
    kinds = {ix.get("kind") == "rigid" for ix in indexes}
    if len(kinds) > 1:
        ap.error("pool datasets of one kind: rigid-body datasets and the others score different things")
    rigid = kinds.pop()
    if args.masks != "estimator" and not rigid:
        ap.error(f"--masks {args.masks} scores rigid-body datasets (their clips are one shot each)")
    pooled = len(datas) > 1
    names = [d.name for d in datas]
    names = names if len(set(names)) == len(names) else [str(d) for d in datas]  # two "data" folders: full paths
    # (dataset's name, its folder, a scene entry, the scene's name in what is printed)
    scenes = [(name, d, entry, f"{name}/{entry['dir']}" if pooled else entry["dir"])
              for name, d, ix in zip(names, datas, indexes) for entry in ix["scenes"][: args.n]]
    per_set: dict[str, ImpactMatch] = {name: ImpactMatch() for name in names}
    rolling = NoImpactScore()
    by_action: collections.defaultdict = collections.defaultdict(lambda: [0, 0])  # action → [found, true]
    by_approach: collections.defaultdict = collections.defaultdict(lambda: [0, 0])  # approach_class → [found, true]
    by_change: collections.defaultdict = collections.defaultdict(lambda: [0, 0])  # speed_change_class → [found, true]
    miss_kinds: collections.Counter = collections.Counter()

    total = ImpactMatch()
    per_scene: list[ImpactMatch] = []
    outcomes: dict[str, dict] = {}
    sources: collections.Counter = collections.Counter()
    motions: collections.Counter = collections.Counter()  # how the camera was classed, per scene
    silent: collections.Counter = collections.Counter()
    cut_violations: list[str] = []
    glider_alarms: list[str] = []
    n_cuts = n_gliders = 0
    decode_s, est_s, est_cpu_s, video_s = [], [], [], []
    for set_name, data, entry, scene_name in scenes:
        folder = data / entry["dir"]
        truth = PhysicsTracks.load(folder / "physics.json")
        given = [o.masks for o in truth.objects] if args.masks != "estimator" else None
        regroup = {"own": "own", "seen": "truth"}.get(args.masks)
        est, t_dec, t_est, c_est, dur = timed_estimate(folder / "scene.mp4", args.max_objects, given, regroup)
        decode_s.append(t_dec)
        est_s.append(t_est)
        est_cpu_s.append(c_est)
        video_s.append(dur)
        for obj in est.objects:
            sources[obj.extra.get("metric_scale_source", "?")] += 1
        motions[f"{est.geometry.extra.get('camera_motion', '?')} ({est.geometry.extra.get('frame', '?')} frame)"] += 1
        m = match_impacts(truth, est)
        outcomes[scene_name] = scene_outcomes(truth, m)
        total = total.merge(m)
        per_scene.append(m)
        per_set[set_name] = per_set[set_name].merge(m)
        r = impacts_on_no_impact_objects(truth, est)
        rolling = rolling.merge(r)
        if rigid:
            missed = {(oid, t) for oid, t, _ in m.missed}
            for o in truth.objects:
                for im in filter(counts_for_recall, o.impacts):
                    found = (o.id, round(im.time_s, 4)) not in missed  # as match_impacts lists its misses
                    by_action[o.action][0] += int(found)
                    by_action[o.action][1] += 1
                    for counts, label in ((by_approach, approach_class(im)), (by_change, speed_change_class(im))):
                        if label is not None:
                            counts[label][0] += int(found)
                            counts[label][1] += 1
                    if not found:
                        miss_kinds[rigid_miss_kind(truth, o, im, est)] += 1
        if args.verbose and rigid:
            print(f"{scene_name}: actions {[o.action for o in truth.objects]}, "
                  f"true impacts {[(round(i.time_s, 3), round(i.v_before, 2)) for o in truth.objects for i in o.impacts]}, "
                  f"estimated {[(o.id, round(i.time_s, 3), round(i.v_before, 2)) for o in est.objects for i in o.impacts]}, "
                  f"on rolling/sliding objects {r.impacts}")
        for obj in est.objects:
            for im in obj.impacts:
                if not im.sonified:
                    silent[(im.reason or "?").split(" (confidence")[0]] += 1
        cuts = [sh.start_s for sh in truth.shots[1:]]
        n_cuts += len(cuts)
        for obj in est.objects:
            for im in obj.impacts:
                if im.sonified and any(abs(im.time_s - c) < IMPACT_GUARD_S for c in cuts):
                    cut_violations.append(f"{scene_name} object {obj.id} at {im.time_s:.3f} s")
        gliders = {o.id for o in truth.objects if o.action == GLIDER_ACTION}
        if gliders:
            n_gliders += len(gliders)
            pairs = match_masks(truth, est).pairs
            for tid, eid, _ in pairs:
                if tid in gliders:
                    glider_alarms += [f"{scene_name} object {eid} at {im.time_s:.3f} s"
                                      for o in est.objects if o.id == eid for im in o.impacts if im.sonified]
        if args.verbose:
            print(f"{scene_name}: {entry['width']}x{entry['height']} {entry['fps']:g} fps, "
                  f"{len(truth.objects)} objects (found {len(est.objects)}), recall {m.recall_hits}/{m.recall_total} "
                  f"(observable {m.observable_hits}/{m.observable_total}), "
                  f"missed {m.missed}, false alarms {m.false_alarms}")
    s = summarize(total)
    if pooled:
        print(f"datasets: {len(datas)} pooled ({len(scenes)} scenes, {sum(video_s):.1f} s of video)")
        print("\n".join(per_dataset_lines(per_set)))
    else:
        print(f"dataset: {len(scenes)} scenes, seed {indexes[0]['seed']}, {sum(video_s):.1f} s of video "
              f"(generated in {t_gen:.1f} s)" if tmp or t_gen > 1 else f"dataset: {datas[0]} ({len(scenes)} scenes)")
    if args.masks != "estimator":
        whose = {"truth": "the truth's, one object per true object (a perfect segmenter)",
                 "own": "the estimator's own, regrouped under the truth's identities (one object per true object)",
                 "seen": "the truth's, in the frames where the estimator's own masks cover the body"}[args.masks]
        print(f"masks: {whose}; geometry, dynamics and gating the estimator's")
    print(f"impacts ≥ 1 m/s in view: {s['true_impacts']}, estimated impacts: {s['estimated_impacts']}")
    r_lo, r_hi = scene_bootstrap_interval(per_scene, "recall")
    p_lo, p_hi = scene_bootstrap_interval(per_scene, "precision_fast")
    print(f"recall    {s['recall']:.3f}   (found within ±1 frame; 95 % interval over scenes {r_lo:.3f}–{r_hi:.3f})")
    o_lo, o_hi = scene_bootstrap_interval(per_scene, "recall_observable")
    print(f"recall    {s['recall_observable']:.3f}   of the {s['observable_impacts']} whose fall before contact can be "
          f"seen (≥ {MIN_FLIGHT_SAMPLES} frames in view and moving since the last contact, in free flight where "
          f"the truth says so: the others must stay silent by rule; interval {o_lo:.3f}–{o_hi:.3f})")
    print(f"precision {s['precision_fast']:.3f}   (estimated impacts ≥ 1 m/s that are real, 95 % interval over scenes "
          f"{p_lo:.3f}–{p_hi:.3f}; all estimated impacts, any speed: {s['precision']:.3f})")
    print(f"v_before relative error: median {100 * s['v_before_rel_error_median']:.1f} %, "
          f"90th percentile {100 * s['v_before_rel_error_p90']:.1f} %")
    print(f"contact time error: median {s['time_error_frames_median']:.2f} frame")
    print("camera motion (scenes): " + ", ".join(f"{k} {v}" for k, v in sorted(motions.items())))
    if rigid:
        print("recall by action: " + ", ".join(f"{a} {h}/{n}" for a, (h, n) in sorted(by_action.items())))
        if by_approach:
            print("recall by the speed the body met the surface with (along gravity; the rest of its speed "
                  "was along the surface): " + class_counts(by_approach, APPROACH_CLASSES))
        if by_change:
            print("recall by the velocity change the contact made (|Δv|: what the sound's strength follows; "
                  "recall counts every impact with v_before ≥ 1 m/s): " + class_counts(by_change, SPEED_CHANGE_CLASSES))
        print("misses: " + (", ".join(f"{v} {k}" for k, v in miss_kinds.most_common()) or "none"))
        print(f"rolling or sliding objects: {rolling.objects}, impacts reported on them: {len(rolling.impacts)}, "
              f"of which sonified: {rolling.sonified}" + (f" {rolling.impacts}" if rolling.impacts else ""))
    print("impacts kept silent: " + (", ".join(f"{v} {k}" for k, v in silent.most_common()) or "none"))
    if n_cuts:
        print(f"hard cuts: {n_cuts}; sonified impacts within {IMPACT_GUARD_S:g} s of a cut: {len(cut_violations)}"
              + (f" ({'; '.join(cut_violations[:5])})" if cut_violations else ""))
    if n_gliders:
        print(f"gliders: {n_gliders}; their sonified impacts (false alarms): {len(glider_alarms)}"
              + (f" ({'; '.join(glider_alarms[:5])})" if glider_alarms else ""))
    print("metric scale sources (objects): " + ", ".join(f"{k} {v}" for k, v in sorted(sources.items())))
    ratio = np.array(est_s) / np.array(decode_s)
    print(f"timing: estimate {np.sum(est_s):.1f} s wall / {np.sum(est_cpu_s):.1f} s CPU for {np.sum(video_s):.1f} s "
          f"of video (real-time factor {np.sum(est_s) / np.sum(video_s):.3f}); decode at {ANALYSIS_SIDE} px "
          f"(baseline) {np.sum(decode_s):.1f} s; estimate/decode median ratio {np.median(ratio):.2f}")

    if args.save is not None:
        args.save.write_text(json.dumps({"version": OUTCOMES_VERSION, "scenes": outcomes}))
        print(f"outcomes saved to {args.save}")
    if earlier is not None:
        print("\n".join(comparison_lines(compare_outcomes(outcomes, earlier), str(args.compare))))

    if args.no_timing_clip or rigid:
        if tmp is not None and not args.keep:
            tmp.cleanup()
        return 0
    # the reference clip of the performance budget: 8 s, 640×360, 30 fps, two objects
    if not args.no_timing_clip:
        with tempfile.TemporaryDirectory(prefix="pavas_bench8_") as d8:
            scene = sample_scene(args.seed + 12345, scene_id="timing_8s", fps_choices=(30.0,),
                                 resolutions=((640, 360),), duration_range_s=(8.0, 8.0))
            scene = with_overrides(scene, num_frames=240)
            write_scene(Path(d8) / "t8", scene)
            est, t_dec, t_est, c_est, dur = timed_estimate(Path(d8) / "t8" / "scene.mp4")
            print(f"8 s 640x360 30 fps clip ({len(scene.objects)} objects): decode at {ANALYSIS_SIDE} px {t_dec:.2f} s "
                  f"(baseline), estimate {t_est:.2f} s wall / {c_est:.2f} s CPU = {t_est / t_dec:.2f}x decode, "
                  f"real-time factor {t_est / dur:.3f}")
    if tmp is not None and not args.keep:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
