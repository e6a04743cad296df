"""CUT3R: our network against the reference's golden outputs, checkpoint loading, rotary embedding."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file

from pavas_core.errors import BadInputError, MissingWeightsError
from pavas_core.perception.cut3r import MICRO, TINY, Cut3r, load_cut3r, random_cut3r, random_state_dict, \
    save_safetensors
from pavas_core.perception.cut3r.layers import Rope2D
from tests.tolerances import assert_matches_golden, float64_twin, max_abs_error

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "cut3r" / "golden_tiny.safetensors"
OUTPUTS = ("points_self", "conf_self", "points_world", "conf_world", "pose", "rgb")


def _run(model: Cut3r, frames: torch.Tensor) -> dict[str, torch.Tensor]:
    state, outs = None, {k: [] for k in OUTPUTS}
    with torch.no_grad():
        for t in range(frames.shape[0]):
            frame, state = model.step(frames[t:t + 1], state, want_rgb=True)
            for k in OUTPUTS:
                outs[k].append(getattr(frame, k))
    return {k: torch.cat(v) for k, v in outs.items()}


@pytest.fixture(scope="module")
def golden():
    with safe_open(str(GOLDEN), "pt") as f:
        meta = f.metadata()
    return load_file(str(GOLDEN)), meta


def test_tensor_names_and_shapes_are_the_reference_layout(golden):
    _, meta = golden
    reference = {k: tuple(v) for k, v in json.loads(meta["reference_keys"]).items()}
    ours = {k: tuple(v.shape) for k, v in Cut3r(TINY).state_dict().items()}
    assert ours == reference


def test_matches_reference_at_seeded_random_weights(golden):
    data, _ = golden
    model = random_cut3r(TINY, seed=0)
    frames = data["frames"]
    ours = _run(model, frames)
    ours64 = _run(float64_twin(model), frames.double())
    for k in OUTPUTS:
        assert_matches_golden(ours[k], data[k], ours64[k], what=k)
    # the frames differ, so the state must carry something: frame 2's pose is not frame 0's
    assert max_abs_error(ours["pose"][2], ours["pose"][0]) > 1e-3


def test_first_frame_is_the_world_and_state_size_is_bounded():
    model = random_cut3r(MICRO, seed=1)
    gen = torch.Generator().manual_seed(0)
    state = None
    with torch.no_grad():
        for _ in range(3):
            frame, state = model.step(torch.rand(1, 3, 32, 48, generator=gen) * 2 - 1, state)
            assert state.tokens.shape == (1, MICRO.state_size, MICRO.dec_dim)
            assert state.memory.shape == (1, MICRO.memory_size, 2 * MICRO.dec_dim)
            assert frame.points_self.shape == (1, 32, 48, 3) and frame.conf_world.min() >= 1.0
            q = frame.pose[0, 3:]
            assert abs(float(q.norm()) - 1.0) < 1e-5 and float(q[0]) >= 0
            rot = frame.camera_to_world()[0, :3, :3]
            assert torch.allclose(rot @ rot.T, torch.eye(3), atol=1e-5)
    assert state.frames_seen == 3


# --- rotary embedding ---------------------------------------------------------------------------

def _complex_rope(x: torch.Tensor, pos: torch.Tensor, base: float) -> torch.Tensor:
    """Independent formula: each half of the head is a vector of complex numbers (j, j + q) turned
    by position × base^(-j/q)."""
    d = x.shape[-1]
    q = d // 4
    out = []
    for half, p in ((x[..., : d // 2], pos[..., 0]), (x[..., d // 2:], pos[..., 1])):
        z = torch.complex(half[..., :q].double(), half[..., q:].double())
        ang = p.double()[:, None, :, None] * base ** (-torch.arange(q, dtype=torch.float64) / q)
        z = z * torch.exp(1j * ang)
        out.append(torch.cat((z.real, z.imag), -1))
    return torch.cat(out, -1)


def test_rope_handles_negative_positions():
    rope = Rope2D(100.0)
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(2, 3, 5, 16, generator=gen, dtype=torch.float64)
    pos = torch.tensor([[-1, -1], [0, 0], [2, 5], [-3, 7], [11, -2]])[None].expand(2, -1, -1)
    got = rope(x, pos)
    assert torch.allclose(got, _complex_rope(x, pos, 100.0), atol=1e-12)
    # position -1 undoes position +1
    back = rope(rope(x, pos), -pos)
    assert torch.allclose(back, x, atol=1e-12)
    # attention scores depend only on relative positions
    shift = torch.tensor([4, -6])
    s1 = rope(x, pos) @ rope(x, pos).transpose(-1, -2)
    s2 = rope(x, pos + shift) @ rope(x, pos + shift).transpose(-1, -2)
    assert torch.allclose(s1, s2, atol=1e-10)


# --- loading ------------------------------------------------------------------------------------

def _official_layout_pth(path: Path, cfg, seed: int = 0) -> dict:
    omegaconf = pytest.importorskip("omegaconf")
    model_string = (f"ARCroco3DStereo(ARCroco3DStereoConfig(freeze='encoder', state_size={cfg.state_size}, "
                    f"state_pe='2d', pos_embed='RoPE100', rgb_head=True, pose_head=True, "
                    f"patch_embed_cls='ManyAR_PatchEmbed', img_size=(512, 512), head_type='dpt', "
                    f"output_mode='pts3d+pose', enc_embed_dim={cfg.enc_dim}, enc_depth={cfg.enc_depth}, "
                    f"enc_num_heads={cfg.enc_heads}, dec_embed_dim={cfg.dec_dim}, dec_depth={cfg.dec_depth}, "
                    f"dec_num_heads={cfg.dec_heads}, landscape_only=False))")
    args = omegaconf.OmegaConf.create({"model": model_string, "lr": 1e-4, "num_views": 64,
                                       "train_dataset": ["a", "b"], "nested": {"x": None, "y": 1.5}})
    state = random_state_dict(cfg, seed)
    torch.save({"model": state, "args": args, "epoch": 3}, path)
    return state


def test_official_layout_pth_loads_strictly(tmp_path):
    path = tmp_path / "cut3r_micro.pth"
    _official_layout_pth(path, MICRO)
    model = load_cut3r(str(path))
    assert model.cfg == MICRO  # head counts read from the stored string, sizes from the tensors
    reference = random_cut3r(MICRO, seed=0)
    frames = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(5)) * 2 - 1
    a, b = _run(model, frames), _run(reference, frames)
    for k in OUTPUTS:
        assert torch.equal(a[k], b[k]), k


def test_safetensors_with_config_loads_strictly(tmp_path):
    path = tmp_path / "cut3r_micro.safetensors"
    save_safetensors(random_state_dict(MICRO, 2), MICRO, str(path))
    model = load_cut3r(str(path))
    assert model.cfg == MICRO
    ref = random_cut3r(MICRO, 2)
    for k, v in ref.state_dict().items():
        assert torch.equal(model.state_dict()[k], v), k
    # config in a JSON file beside the weights instead of the metadata
    from safetensors.torch import save_file

    bare = tmp_path / "bare.safetensors"
    save_file(load_file(str(path)), str(bare))
    (tmp_path / "bare.json").write_text(json.dumps(MICRO.to_dict()))
    assert load_cut3r(str(bare)).cfg == MICRO


def test_loading_failures_are_clear(tmp_path):
    with pytest.raises(MissingWeightsError):
        load_cut3r(str(tmp_path / "nope.pth"))
    state = random_state_dict(MICRO, 0)
    broken = dict(state)
    broken.pop("enc_blocks.0.attn.qkv.weight")
    save_safetensors(broken, MICRO, str(tmp_path / "missing.safetensors"))
    with pytest.raises(BadInputError, match="missing"):
        load_cut3r(str(tmp_path / "missing.safetensors"))
    extra = dict(state, **{"something_else.weight": torch.zeros(2)})
    save_safetensors(extra, MICRO, str(tmp_path / "extra.safetensors"))
    with pytest.raises(BadInputError, match="unexpected"):
        load_cut3r(str(tmp_path / "extra.safetensors"))
    # a pickle naming a class outside the allow-list is refused, never executed
    with open(tmp_path / "evil.pth", "wb") as f:
        pickle.dump({"model": state, "args": Path("x")}, f)
    with pytest.raises(BadInputError, match="CUT3R checkpoint"):
        load_cut3r(str(tmp_path / "evil.pth"))
    # other sizes than the released model's without a configuration: head counts unknown
    torch.save({"model": state}, tmp_path / "bare.pth")
    with pytest.raises(BadInputError, match="need their configuration"):
        load_cut3r(str(tmp_path / "bare.pth"))
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(BadInputError):
        load_cut3r(str(tmp_path / "junk.pth"))


def test_half_precision_keeps_the_heads_in_float32(tmp_path):
    path = tmp_path / "micro.safetensors"
    save_safetensors(random_state_dict(MICRO, 4), MICRO, str(path))
    half = load_cut3r(str(path), dtype=torch.bfloat16)
    full = load_cut3r(str(path))
    assert half.enc_blocks[0].attn.qkv.weight.dtype == torch.bfloat16
    assert half.downstream_head.dpt_self.head[0].weight.dtype == torch.float32
    frames = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(6)) * 2 - 1
    a = _run(half, frames.to(torch.bfloat16))
    b = _run(full, frames)
    assert a["points_self"].dtype == torch.float32
    rel = (a["pose"] - b["pose"]).abs().max() / b["pose"].abs().max()
    assert rel < 0.1  # bf16 trunk: close to fp32, not equal


def test_released_sizes_are_read_back_from_the_tensor_shapes():
    from pavas_core.perception.cut3r import FULL_512_DPT
    from pavas_core.perception.cut3r.config import config_from_state_dict

    with torch.device("meta"):
        full = Cut3r(FULL_512_DPT)
    state = full.state_dict()
    assert len(state) == 1248  # TINY has 600: 22 more encoder blocks × 12, 2 × 8 more decoder blocks × 24
    assert sum(p.numel() for p in full.parameters()) == pytest.approx(793.3e6, rel=1e-3)
    assert config_from_state_dict(state) == FULL_512_DPT
    assert FULL_512_DPT.state_grid_width == 28 and FULL_512_DPT.hooks == (6, 9, 12)
