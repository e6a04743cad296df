"""Our MMAudio network and sampler reproduce MMAudio's own code (golden fixtures, see fixtures/mmaudio/README.md)."""

from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file

from pavas_core.models.flow_matching import sample
from pavas_core.models.mmaudio import load_mmaudio_network
from tolerances import assert_matches_golden, float64_twin

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mmaudio"
VELOCITY_INPUTS = ("latent", "t", "clip_f", "sync_f", "text_f")


def load_case(tag: str):
    io_path = FIXTURES / f"tiny_{tag}_io.safetensors"
    with safe_open(str(io_path), framework="pt") as f:
        steps = int(f.metadata()["sample_steps"])
    return load_mmaudio_network(FIXTURES / f"tiny_{tag}_weights.safetensors"), load_file(str(io_path)), steps


@pytest.fixture(scope="module", params=["v1", "v2"])
def case(request):
    return load_case(request.param)


@pytest.fixture(scope="module")
def velocity64(case):
    """The network in float64 on the golden inputs: sets the fp32 spread of the velocity."""
    net, io, _ = case
    with torch.inference_mode():
        return float64_twin(net).velocity(*(io[k].double() for k in VELOCITY_INPUTS))


def test_fixture_networks_are_the_intended_variants():
    v1, io_v1, _ = load_case("v1")
    v2, io_v2, _ = load_case("v2")
    assert (v1.config.v2, v1.sample_rate_hz, v1.config.depth, v1.config.fused_depth) == (False, 16000, 3, 1)
    assert (v2.config.v2, v2.sample_rate_hz) == (True, 44100)
    # 2 s at each rate: the sync→audio resampling and the CLIP RoPE scaling are non-trivial
    assert io_v1["latent"].shape[1:] == (63, 20) and io_v2["latent"].shape[1:] == (87, 40)


def test_velocity_matches_mmaudio(case, velocity64):
    net, io, _ = case
    with torch.inference_mode():
        velocity = net.velocity(*(io[k] for k in VELOCITY_INPUTS))
    assert io["velocity"].abs().max() > 1.0  # the golden output is far from trivial
    assert_matches_golden(velocity, io["velocity"], velocity64, "velocity")


def test_cached_conditions_give_the_same_velocity(case, velocity64):
    net, io, _ = case
    with torch.inference_mode():
        conditions = net.preprocess_conditions(io["clip_f"], io["sync_f"], io["text_f"])
        velocity = net.predict_flow(io["latent"], io["t"], conditions)
    assert_matches_golden(velocity, io["velocity"], velocity64, "velocity from cached conditions")


@pytest.mark.parametrize(
    "key, cfg_strength, negative",
    [("sample_cfg4.5", 4.5, False), ("sample_cfg4.5_negative", 4.5, True), ("sample_cfg0.5", 0.5, False)],
)
def test_guided_euler_sampling_matches_mmaudio(case, key, cfg_strength, negative):
    net, io, steps = case

    def run(net, dtype):
        conditions = net.preprocess_conditions(*(io[k].to(dtype) for k in ("clip_f", "sync_f", "text_f")))
        empty = net.get_empty_conditions(
            2,
            io["negative_text_f"].to(dtype) if negative else None,
            clip_len=io["clip_f"].shape[1],
            sync_len=io["sync_f"].shape[1],
        )
        return sample(net, conditions, empty, noise=io["noise"], num_steps=steps, cfg_strength=cfg_strength)

    # The sampler keeps its state in fp32 whatever the network's dtype: the fp64 run (the spread)
    # has a float64 network, and guidance amplifies its rounding as it amplifies the golden's.
    latent = run(net, torch.float32)
    assert_matches_golden(latent, io[key], run(float64_twin(net), torch.float64).double(), key)


def test_guidance_changes_the_result(case):
    """The three golden runs differ, so each test above checks a distinct behaviour."""
    _, io, _ = case
    assert (io["sample_cfg4.5"] - io["sample_cfg0.5"]).abs().max() > 0.1
    assert (io["sample_cfg4.5"] - io["sample_cfg4.5_negative"]).abs().max() > 0.01
