import math

import numpy as np
import pytest

from pavas_core.materials import get_material
from pavas_core.synth.modal import (
    ModeBank,
    add_mode_responses,
    build_mode_bank,
    first_mode_hz,
    mode_ratios,
    object_seed,
)
from tolerances import fp32_rounding_bound


def test_bar_ratios_are_the_free_free_beam_series():
    assert mode_ratios("bar", 4) == pytest.approx([1.0, 2.756, 5.404, 8.933], rel=1e-3)


def test_shell_ratios_follow_the_ring_bending_law():
    n = np.arange(2, 6)
    law = n * (n * n - 1) / np.sqrt(n * n + 1)
    assert mode_ratios("shell", 4) == pytest.approx(law / law[0])


def test_plate_ratios_are_sorted_and_start_at_one():
    r = mode_ratios("plate", 12)
    assert r[0] == 1.0 and np.all(np.diff(r) >= 0) and r[1] == pytest.approx((1 + 4 / 2.25) / (1 + 1 / 2.25))


def test_first_mode_scales_with_inverse_size_and_wave_speed():
    steel, plastic = get_material("steel"), get_material("plastic")
    assert first_mode_hz(steel, 0.1) == pytest.approx(2 * first_mode_hz(steel, 0.2))
    speed_ratio = math.sqrt(steel.youngs_modulus_pa / steel.density_kg_m3) / math.sqrt(
        plastic.youngs_modulus_pa / plastic.density_kg_m3)
    thickness_ratio = steel.thickness_ratio / plastic.thickness_ratio
    assert first_mode_hz(steel, 0.2) / first_mode_hz(plastic, 0.2) == pytest.approx(speed_ratio * thickness_ratio)


def test_mode_decay_is_rayleigh_damping():
    glass = get_material("glass")
    bank = build_mode_bank(glass, 0.1, max_freq_hz=20000.0, rng=object_seed(3, "glass", 0.1))
    # undamped ω from the damped one: ω_d = ω·√(1 − ξ²) and d = ξ·ω  ⇒  ω² = ω_d² + d²
    omega = np.sqrt((2 * np.pi * bank.damped_freq_hz) ** 2 + bank.decay_per_s**2)
    assert bank.decay_per_s == pytest.approx(0.5 * (glass.rayleigh_alpha + glass.rayleigh_beta * omega**2), rel=1e-9)
    assert np.all(np.diff(bank.decay_per_s) >= 0)  # slowest first
    assert np.all(bank.damped_freq_hz < 20000.0)


def test_block_renderer_equals_direct_damped_sinusoids():
    bank = ModeBank(
        damped_freq_hz=np.array([440.0, 1234.5]), decay_per_s=np.array([3.0, 40.0]),
        amplitude=np.array([1.0, 0.5]), first_freq_hz=440.0, dropped_out_of_band=0, dropped_overdamped=0,
    )
    fs, n = 16000, 20000
    amps = np.array([[0.3 + 0.1j, -0.2 + 0.05j], [1.0 + 0.0j, 0.5j]])
    starts = np.array([100, 7000])
    out = np.zeros(n, dtype=np.float32)
    add_mode_responses(out, bank, fs, amps, starts, block=256)
    expected = np.zeros(n)
    poles = -bank.decay_per_s + 2j * np.pi * bank.damped_freq_hz
    for a, s in zip(amps, starts):
        t = np.arange(n - s) / fs
        expected[s:] += (a[None, :] * np.exp(poles[None, :] * t[:, None])).imag.sum(axis=1)
    # Per sample and mode of each event: its envelope |A|·e^(−d·t). The renderer may drop a mode once
    # it has decayed by 90 dB (block by block): there at most the envelope is missing.
    since = np.arange(n)[None, None, :] - starts[:, None, None]  # (E, 1, T) samples since each start
    decay = np.exp(-bank.decay_per_s[None, :, None] * np.maximum(since, 0) / fs)
    envelope = np.where(since >= 0, np.abs(amps)[:, :, None] * decay, 0.0)
    cut = decay <= 10 ** (-90 / 20)
    # fp32: the weights and the basis (2), the 2K-term products of [Re C, Im C] with the basis
    # (2K, on |Re| + |Im| ≤ 2·envelope) and adding each event's response into `out` (E)
    roundings = 2 + 2 * bank.num_modes + len(starts)
    bound = (envelope * cut).sum(axis=(0, 1)) + fp32_rounding_bound(roundings, 2 * envelope.sum(axis=(0, 1)))
    assert np.all(np.abs(out - expected) <= bound)
