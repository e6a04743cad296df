import numpy as np
import pytest

from pavas_core.synth.contact import (
    effective_modulus_pa,
    half_sine_laplace,
    half_sine_pulse,
    half_sine_spectrum,
    hertz_contact_time_s,
)
from pavas_core.materials import get_material


def test_hertz_contact_time_of_a_steel_ball_on_steel_matches_the_worked_example():
    """Johnson §11.4 worked example in the physics notes: 1-cm-radius steel ball (33 g) on steel
    lasts ≈ 71 µs at 1 m/s and ≈ 54 µs at 4 m/s."""
    steel = get_material("steel")
    tau_1 = hertz_contact_time_s(mass_kg=0.033, size_m=0.02, speed_mps=1.0, body=steel, surface=steel)
    tau_4 = hertz_contact_time_s(mass_kg=0.033, size_m=0.02, speed_mps=4.0, body=steel, surface=steel)
    assert tau_1 == pytest.approx(71e-6, rel=0.08)
    assert tau_4 == pytest.approx(54e-6, rel=0.08)
    assert tau_4 / tau_1 == pytest.approx(4.0 ** -0.2, rel=1e-9)


def test_softer_heavier_contacts_last_longer():
    steel, rubber, floor = get_material("steel"), get_material("rubber"), get_material("stone")
    hard = hertz_contact_time_s(mass_kg=0.5, size_m=0.1, speed_mps=2.0, body=steel, surface=floor)
    soft = hertz_contact_time_s(mass_kg=0.5, size_m=0.1, speed_mps=2.0, body=rubber, surface=floor)
    heavy = hertz_contact_time_s(mass_kg=4.0, size_m=0.1, speed_mps=2.0, body=steel, surface=floor)
    assert soft > 10 * hard
    assert heavy / hard == pytest.approx(8.0 ** 0.4, rel=1e-9)  # τ ∝ m^(2/5)
    assert effective_modulus_pa(rubber, floor) < effective_modulus_pa(steel, floor)


def test_half_sine_spectrum_equals_the_transform_of_the_sampled_pulse():
    fs, tau = 1_000_000, 1e-3
    pulse = half_sine_pulse(tau, fs)  # unit area
    n = 1 << 16
    spec = np.fft.rfft(pulse, n)
    freq = np.fft.rfftfreq(n, 1 / fs)
    centred = spec * np.exp(1j * 2 * np.pi * freq * (pulse.shape[0] / 2) / fs)  # move the centre to t = 0
    sel = freq < 5000
    assert np.allclose(centred.real[sel], half_sine_spectrum(2 * np.pi * freq[sel], tau), atol=2e-3)
    assert half_sine_spectrum(np.array([0.0]), tau)[0] == 1.0
    assert abs(half_sine_spectrum(np.array([3 * np.pi / tau]), tau)[0]) < 1e-12  # first zero at ωτ = 3π
    assert half_sine_spectrum(np.array([np.pi / tau]), tau)[0] == pytest.approx(np.pi / 4)


def test_half_sine_laplace_matches_numerical_integration_for_damped_poles():
    tau = 2e-3
    u = np.linspace(-tau / 2, tau / 2, 200001)
    pulse = (np.pi / (2 * tau)) * np.cos(np.pi * u / tau)
    poles = np.array([-300 + 2j * np.pi * 150, -50 + 2j * np.pi * 700, -5 + 2j * np.pi * 2500])
    numeric = np.array([np.trapezoid(pulse * np.exp(-s * u), u) for s in poles])
    assert half_sine_laplace(poles, tau) == pytest.approx(numeric, rel=1e-6)
    omega = np.array([0.0, 1000.0, 5000.0])
    assert half_sine_laplace(1j * omega, tau).real == pytest.approx(half_sine_spectrum(omega, tau))
