"""The VLM backends: objects and mass from one answer, every fallback visible in physics.json."""

from __future__ import annotations

import json

import pytest

from pavas_core.physics.estimate import estimate_physics
from pavas_core.physics.options import EstimateOptions
from pavas_core.physics.stages.vlm import CLAMPED_MASS_CONFIDENCE, DENSEST_SOLID_KG_M3, SIZE_MARGIN, \
    VLM_MASS_CONFIDENCE

BALL = {"name": "basketball", "action": "bouncing", "moving": True, "mass_kg": 0.6, "material": "rubber"}


class FakeVlm:
    """generate_text(messages) → the next of the given answers (the last one repeats); records what it was asked."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.asked: list[list[dict]] = []

    def __call__(self, messages):
        self.asked.append(messages)
        answer = self.answers[min(len(self.asked), len(self.answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer


def run(clip, fake, **options):
    opts = EstimateOptions(discover="vlm", mass="vlm", backend_settings={"vlm": {"generate_text": fake}}, **options)
    return estimate_physics(clip, options=opts)


def test_one_answer_gives_the_objects_name_material_and_mass(ball):
    clip, truth = ball
    fake = FakeVlm(json.dumps({"objects": [BALL, {"name": "floor", "moving": False, "mass_kg": 500}]}))
    tracks = run(clip, fake)
    (obj,) = tracks.objects
    assert (obj.name, obj.name_source, obj.action) == ("basketball", "vlm", "bouncing")
    assert (obj.mass_kg, obj.mass_source, obj.mass_confidence) == (0.6, "vlm", VLM_MASS_CONFIDENCE)
    assert (obj.material, obj.material_source) == ("rubber", "vlm")
    assert tracks.estimator["stages"]["discover"] == "vlm" and tracks.estimator["stages"]["mass"] == "vlm"
    assert len(obj.impacts) == len(truth.objects[0].impacts)
    assert all(imp.delta_ke_j == pytest.approx(0.5 * 0.6 * (imp.v_before**2 - imp.v_after**2)) for imp in obj.impacts)
    assert len(fake.asked) == 1  # one question, read once: the mass stage did not ask again
    images = [c for c in fake.asked[0][0]["content"] if c["type"] == "image"]
    assert len(images) == 8  # sampled frames, not the whole clip (75 frames)


def test_a_bad_answer_is_asked_again_with_the_reason(ball):
    clip, _ = ball
    fake = FakeVlm("The ball bounces three times.", json.dumps({"objects": [BALL]}))
    tracks = run(clip, fake)
    assert tracks.objects[0].name == "basketball" and tracks.objects[0].mass_source == "vlm"
    assert len(fake.asked) == 2
    retry = fake.asked[1][-1]["content"][0]["text"]
    assert "prose" in retry and "JSON only" in retry
    assert fake.asked[1][-2]["content"][0]["text"] == "The ball bounces three times."


@pytest.mark.parametrize("answer, reason", [
    ("The ball bounces three times on the floor.", "the answer is prose, not JSON"),
    ('{"objects": [{"name": "ball", "mass_kg": 0.6', "the answer's JSON is broken"),
    ('{"objects": []}', "the VLM saw no moving object"),
    (RuntimeError("CUDA out of memory"), "the VLM failed to answer (RuntimeError: CUDA out of memory)"),
])
def test_without_a_usable_answer_motion_finds_the_objects_and_the_prior_weighs_them(ball, answer, reason):
    clip, truth = ball
    tracks = run(clip, FakeVlm(answer))
    (obj,) = tracks.objects
    assert obj.name_source == "generic" and obj.mass_source == "prior"
    assert len(obj.impacts) == len(truth.objects[0].impacts)
    assert tracks.estimator["stages"]["discover"] == "vlm"  # the stage that ran: name_source says "generic"
    text = " | ".join(tracks.warnings)
    assert reason in text and "found by motion instead" in text
    assert "no mass from the VLM" in text


def test_an_interrupt_is_not_taken_for_a_model_failure(ball):
    class InterruptProcessingException(Exception):  # what ComfyUI raises when the user presses Cancel
        pass

    clip, _ = ball
    with pytest.raises(InterruptProcessingException):
        run(clip, FakeVlm(InterruptProcessingException()))


def test_an_impossible_mass_falls_back_to_the_prior_table_for_that_object(ball):
    clip, _ = ball
    tracks = run(clip, FakeVlm(json.dumps({"objects": [dict(BALL, mass_kg=-2)]})))
    (obj,) = tracks.objects
    assert obj.name == "basketball" and obj.name_source == "vlm"
    assert obj.mass_source == "prior" and obj.mass_kg == pytest.approx(0.62, rel=0.1)  # the table's basketball
    assert any("impossible" in w for w in tracks.warnings)


def test_a_mass_the_measured_size_cannot_have_is_clamped(ball):
    clip, truth = ball
    tracks = run(clip, FakeVlm(json.dumps({"objects": [dict(BALL, mass_kg=5000)]})))
    (obj,) = tracks.objects
    limit = DENSEST_SOLID_KG_M3 * (SIZE_MARGIN * obj.size_m) ** 3
    assert obj.mass_kg == pytest.approx(limit, rel=1e-4) and obj.mass_kg < 5000  # size_m is saved rounded
    assert obj.mass_source == "vlm" and obj.mass_confidence == CLAMPED_MASS_CONFIDENCE
    assert any("clamped" in w for w in tracks.warnings)


def test_the_users_names_replace_the_vlms_and_are_in_the_question(ball):
    clip, _ = ball
    fake = FakeVlm(json.dumps({"objects": [BALL]}))
    tracks = run(clip, fake, object_names=["orange ball"])
    assert (tracks.objects[0].name, tracks.objects[0].name_source) == ("orange ball", "user")
    assert "orange ball" in fake.asked[0][0]["content"][-1]["text"]


def test_the_vlm_mass_backend_asks_about_objects_another_discoverer_found(ball):
    clip, _ = ball
    fake = FakeVlm(json.dumps({"objects": [dict(BALL, mass_kg=0.58)]}))
    opts = EstimateOptions(object_names=["basketball"], mass="vlm", backend_settings={"vlm": {"generate_text": fake}})
    (obj,) = estimate_physics(clip, options=opts).objects
    assert obj.name_source == "user" and (obj.mass_kg, obj.mass_source) == (0.58, "vlm")
    assert "basketball" in fake.asked[0][0]["content"][-1]["text"]


def test_without_any_vlm_the_backends_fall_back_and_say_how_to_give_one(ball):
    clip, _ = ball
    tracks = estimate_physics(clip, options=EstimateOptions(discover="vlm", mass="vlm"))
    assert tracks.objects[0].mass_source == "prior"
    assert any("no VLM was given (--vlm DIR" in w for w in tracks.warnings)


def test_a_text_answer_from_another_node_is_read_the_same_way(ball, tmp_path):
    from pavas_core.cli import main as cli_main
    from pavas_core.physics.tracks import PhysicsTracks
    from pavas_core.video import write_video

    clip, truth = ball
    video, answer, out = tmp_path / "ball.mp4", tmp_path / "answer.txt", tmp_path / "p.json"
    write_video(video, clip.frames, clip.fps)
    answer.write_text("```json\n" + json.dumps({"objects": [dict(BALL, mass_kg=0.65)]}) + "\n```")
    assert cli_main(["estimate", str(video), "-o", str(out), "--discover", "vlm_text", "--vlm-answer", str(answer),
                     "--mass", "vlm"]) == 0
    tracks = PhysicsTracks.load(out)
    assert tracks.objects[0].name == "basketball" and tracks.objects[0].mass_kg == 0.65
    assert tracks.objects[0].mass_source == "vlm" and tracks.estimator["stages"]["discover"] == "vlm_text"


def test_the_real_tiny_vlm_answers_token_by_token_and_a_cancel_stops_it(tiny_perception_dir, short_ball):
    from pavas_core.errors import Cancelled
    from pavas_core.perception import cached_vlm
    from pavas_core.physics.stages import create_backend, make_context
    from pavas_core.physics.estimate import run_stage

    folder = tiny_perception_dir / "LLM" / "Qwen2.5-VL-3B-Instruct"
    vlm = cached_vlm(folder, device="cpu")
    assert cached_vlm(folder, device="cpu") is vlm  # loaded once (model registry)
    clip, _ = short_ball
    opts = EstimateOptions(discover="vlm")
    ctx = make_context(clip, analysis_max_side=opts.analysis_max_side)
    seen = []
    backend = create_backend("discover", "vlm", model=vlm, num_frames=2, max_new_tokens=6, retries=1)
    discovery = run_stage("discover", opts, ctx, backend=backend, progress=lambda d, t: seen.append((d, t)))
    assert len(discovery.extra["vlm_answers"]) == 2  # random weights: no JSON, asked once more, then motion
    assert (6, 6) in seen and discovery.objects and discovery.objects[0].name_source == "generic"
    backend = create_backend("discover", "vlm", model=vlm, num_frames=2, max_new_tokens=6, retries=1)
    with pytest.raises(Cancelled):
        run_stage("discover", opts, ctx, backend=backend, progress=lambda d, t: not (t == 6 and d >= 3))
