"""Every node checks its inputs against its own schema when it runs (class 5 of the hostile-input
issue): values that arrive through links obey the same rules as widget values."""

import math

import pytest
import torch


def test_every_node_function_is_checked(pack):
    for node_id, cls in pack.NODE_CLASS_MAPPINGS.items():
        assert getattr(getattr(cls, cls.FUNCTION), "_pavas_checked", False), node_id


def _audio(rate=16000, seconds=0.5):
    return {"waveform": torch.zeros(1, 1, int(rate * seconds)), "sample_rate": rate}


@pytest.mark.parametrize("case", ["preview_20000", "foley_nan", "foley_rate", "mix_gain_nan", "estimate_nan",
                                  "edit_inf", "load_nan", "clip_fps_nan", "sampler_seed_over"])
def test_nan_and_out_of_range_values_through_links_are_refused(case, pack, core, tracks, ball_video):
    nodes = pack.NODE_CLASS_MAPPINGS
    clip = nodes["PAVAS_ClipFromFrames"]().make_clip(fps=12.0, images=torch.rand(4, 24, 32, 3))[3]
    calls = {
        "preview_20000": lambda: nodes["PAVAS_PhysicsPreview"]().preview(tracks, 20000, 20000),
        "foley_nan": lambda: nodes["PAVAS_PhysicsFoley"]().synthesize(tracks, 44100, math.nan, 0),
        "foley_rate": lambda: nodes["PAVAS_PhysicsFoley"]().synthesize(tracks, 10**9, 0.0, 0),
        "mix_gain_nan": lambda: nodes["PAVAS_AudioMix"]().mix(_audio(), _audio(), math.nan, 0.0, "highest input",
                                                                "longest", True),
        "estimate_nan": lambda: nodes["PAVAS_EstimatePhysics"]().estimate(clip, "", math.nan, 0.0, 0.0, 4),
        "edit_inf": lambda: nodes["PAVAS_EditPhysics"]().edit(tracks, -1, math.inf, 0.0, 1.0, "keep"),
        "load_nan": lambda: nodes["PAVAS_LoadVideo"]().load(ball_video.name, math.nan, 0.0, 0.0, 0.0),
        "clip_fps_nan": lambda: nodes["PAVAS_ClipFromFrames"]().make_clip(fps=math.nan, images=torch.rand(2, 8, 8, 3)),
        "sampler_seed_over": lambda: nodes["PAVAS_MMAudioSampler"]().sample(None, None, "", "", 0.0, 25, 4.5, 2**64),
    }
    with pytest.raises(core.errors.BadInputError) as excinfo:
        calls[case]()
    assert "\n" not in str(excinfo.value)


def test_integral_floats_are_accepted_for_int_inputs_and_the_largest_seed_is_allowed(pack, tracks):
    nodes = pack.NODE_CLASS_MAPPINGS
    plot = nodes["PAVAS_PhysicsPreview"]().preview(tracks, 320.0, 160)["result"][0]
    assert tuple(plot.shape) == (1, 160, 320, 3)
    audio = nodes["PAVAS_PhysicsFoley"]().synthesize(tracks, 16000, 0.5, 2**64 - 1)["result"][0]
    assert audio["sample_rate"] == 16000 and audio["waveform"].shape[-1] == 8000
