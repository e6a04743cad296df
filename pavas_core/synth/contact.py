"""Hertz contact: how long an impact presses, and which frequencies that force pulse excites.

A sphere of radius R* hitting a flat at speed v stays in contact for (K. L. Johnson, "Contact
Mechanics", CUP 1985, §11.4; confirmed experimentally by Gugan, Am. J. Phys. 68(10), 2000)

    τ_c = 2.87 · (m*² / (R* · E*² · v))^(1/5),     1/E* = (1−ν₁²)/E₁ + (1−ν₂²)/E₂.

We take m* = m (the surface is much heavier) and R* = L/2 (half the object's size). The force is
modelled as a half-sine of length τ_c whose area is the impulse, so its spectrum is flat below
≈1/τ_c and rolls off above: faster, lighter or harder contacts are shorter and excite higher modes
(τ_c ∝ v^(−1/5)).
"""

from __future__ import annotations

import numpy as np

from ..materials import Material

HERTZ_TIME_COEFF = 2.87
MIN_SPEED_MPS = 1e-3  # τ_c diverges as v → 0; below 1 mm/s nothing audible happens anyway
MAX_CONTACT_TIME_S = 0.03  # keeps the pulse centre inside the 20 ms onset window


def effective_modulus_pa(a: Material, b: Material) -> float:
    """E* of two bodies in contact."""
    return 1.0 / ((1.0 - a.poisson_ratio**2) / a.youngs_modulus_pa + (1.0 - b.poisson_ratio**2) / b.youngs_modulus_pa)


def hertz_contact_time_s(*, mass_kg: float, size_m: float, speed_mps: float,
                         body: Material, surface: Material) -> float:
    """Duration τ_c (s) of the contact of a body of this mass and size hitting `surface` at `speed_mps`."""
    e_star = effective_modulus_pa(body, surface)
    radius_m = 0.5 * size_m
    speed = max(speed_mps, MIN_SPEED_MPS)
    tau = HERTZ_TIME_COEFF * (mass_kg**2 / (radius_m * e_star**2 * speed)) ** 0.2
    return float(min(tau, MAX_CONTACT_TIME_S))


def half_sine_spectrum(omega_rad_s: np.ndarray, contact_time_s: float) -> np.ndarray:
    """Fourier transform of a unit-area half-sine pulse of length τ, centred on t = 0 (real, P(0) = 1).

    P(ω) = cos(ωτ/2) / (1 − (ωτ/π)²); at ωτ = π the limit is π/4. Zeros at ωτ = 3π, 5π, ...
    """
    x = np.asarray(omega_rad_s, dtype=np.float64) * contact_time_s / np.pi
    denom = 1.0 - x * x
    near = np.abs(denom) < 1e-9
    safe = np.where(near, 1.0, denom)
    return np.where(near, np.pi / 4.0, np.cos(0.5 * np.pi * x) / safe)


def half_sine_laplace(s_per_s: np.ndarray, contact_time_s: float) -> np.ndarray:
    """Two-sided Laplace transform ∫ p(u)·e^(−s·u) du of the same centred unit-area half-sine pulse.

    P(s) = cosh(sτ/2) / (1 + (sτ/π)²); on the imaginary axis (s = iω) it is half_sine_spectrum(ω).
    A mode with pole s = −d + iω driven by the pulse rings as Im(P(s)·e^(s·t)) once the pulse is
    over, so P(s) is that mode's complex excitation (damping included). Shape of s.
    """
    st = np.asarray(s_per_s, dtype=np.complex128) * contact_time_s
    denom = 1.0 + (st / np.pi) ** 2
    near = np.abs(denom) < 1e-12  # only at s = ±iπ/τ exactly (undamped); the limit there is π/4
    return np.where(near, np.pi / 4.0, np.cosh(0.5 * st) / np.where(near, 1.0, denom))


def half_sine_pulse(contact_time_s: float, sample_rate_hz: int) -> np.ndarray:
    """The sampled half-sine force shape (unit sum), at least one sample long. Shape (P,)."""
    n = max(1, int(round(contact_time_s * sample_rate_hz)))
    if n == 1:
        return np.ones(1)
    pulse = np.sin(np.pi * (np.arange(n) + 0.5) / n)
    return pulse / pulse.sum()
