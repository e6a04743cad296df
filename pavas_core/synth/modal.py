"""The modal bank of one object and its sampled decay template.

An impulse at the contact point makes every mode k ring as a_k·e^(−d_k t)·sin(ω_k t) (van den Doel
& Pai, "The Sounds of Physical Shapes", Presence 7(4) 1998; van den Doel, Kry & Pai,
"FoleyAutomatic", SIGGRAPH 2001). Frequencies: the first mode follows the size law
f₁ = 1.028·(h/L)·c/L of a free–free Euler–Bernoulli bar (c = √(E/ρ)), so f ∝ (1/L)·√(E/ρ) at a
fixed aspect ratio; the higher modes follow the ratio series of the material's shape family.
Damping: Rayleigh, d_k = (α + β·ω_k²)/2 (KleinPAT). Modes whose damping ratio reaches
MAX_DAMPING_RATIO do not ring and are left out, as are modes at or above the band limit (Nyquist).
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

import numpy as np

from ..materials import Material

BAR_F1_COEFF = 1.028  # f₁ = 1.028·h·c/L² for a free–free rectangular bar
MODE_JITTER = 0.03  # ±3 % random detuning so that modes of regular shapes are not degenerate [ours]
MAX_DAMPING_RATIO = 0.7
MIN_AUDIBLE_HZ = 20.0  # infrasonic modes would take calibrated energy that nobody hears
TRUNCATE_DB = 90.0  # each mode's response is cut once it has decayed by this much
_LN_TRUNCATE = TRUNCATE_DB / 20.0 * math.log(10.0)

# free–free beam: roots β_n·L of cos(βL)·cosh(βL) = 1 (Blevins, "Formulas for Natural Frequency
# and Mode Shape", Table 8-1); later roots → (2n+1)π/2.
_BAR_ROOTS = (4.730041, 7.853205, 10.995608, 14.137165, 17.278760)


def mode_ratios(shape: str, count: int) -> np.ndarray:
    """Frequency ratios f_k / f_1 of a shape family (sorted, first = 1). Shape (count,).

    bar:   free–free Euler–Bernoulli beam, (β_k/β_1)².
    shell: inextensional bending of a thin ring/shell (Rayleigh, "The Theory of Sound" §233; the
           wine-glass/bell series in Fletcher & Rossing, "The Physics of Musical Instruments"):
           f_n ∝ n(n²−1)/√(n²+1), n = 2, 3, ...
    plate: simply supported rectangular Kirchhoff plate with side ratio 1.5 (Leissa, "Vibration of
           Plates", NASA SP-160, 1969): f_mn ∝ m² + (n/1.5)².
    """
    if shape == "bar":
        roots = list(_BAR_ROOTS) + [(2 * n + 1) * math.pi / 2 for n in range(len(_BAR_ROOTS) + 1, count + 1)]
        r = np.asarray(roots[:count]) ** 2
    elif shape == "shell":
        n = np.arange(2, count + 2, dtype=np.float64)
        r = n * (n * n - 1.0) / np.sqrt(n * n + 1.0)
    elif shape == "plate":
        grid = np.arange(1, count + 1, dtype=np.float64)
        r = np.sort((grid[:, None] ** 2 + (grid[None, :] / 1.5) ** 2).ravel())[:count]
    else:
        raise ValueError(f"unknown mode shape {shape!r}")
    return r / r[0]


@dataclass(frozen=True)
class ModeBank:
    """The ringing modes of one object, sorted from the longest-ringing to the shortest.

    damped_freq_hz, decay_per_s, amplitude: shape (K,). amplitude is the modal gain for a unit
    impulse (mode shape² at the contact point, a gentle 1/√(f/f₁) tilt [ours]); its absolute scale
    is irrelevant because every event is calibrated to its ΔKE.
    """

    damped_freq_hz: np.ndarray
    decay_per_s: np.ndarray
    amplitude: np.ndarray
    first_freq_hz: float  # f₁ before detuning, as given by the size law
    dropped_out_of_band: int  # modes left out: at or above the band limit, or below MIN_AUDIBLE_HZ
    dropped_overdamped: int  # modes left out because they are (nearly) critically damped

    @property
    def num_modes(self) -> int:
        return int(self.damped_freq_hz.shape[0])

    def poles_per_s(self) -> np.ndarray:
        """s_k = −d_k + i·ω_k (continuous time). Shape (K,)."""
        return -self.decay_per_s + 1j * 2.0 * np.pi * self.damped_freq_hz


def object_seed(seed: int, *parts: object) -> np.random.Generator:
    """A generator that depends only on `seed` and a stable description of the object."""
    key = zlib.crc32("|".join(repr(p) for p in parts).encode("utf-8"))
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, key])


def first_mode_hz(material: Material, size_m: float) -> float:
    """Size law f₁ = 1.028·(h/L)·c/L (Hz)."""
    return BAR_F1_COEFF * material.thickness_ratio * material.wave_speed_mps / size_m


def build_mode_bank(material: Material, size_m: float, *, max_freq_hz: float,
                    rng: np.random.Generator) -> ModeBank:
    """Modes of an object of this material and size, band-limited to `max_freq_hz`."""
    f1 = first_mode_hz(material, size_m)
    count = material.num_modes
    ratios = mode_ratios(material.mode_shape, count)
    detune = 1.0 + rng.uniform(-MODE_JITTER, MODE_JITTER, size=count)
    detune[0] = 1.0
    freq_hz = np.sort(f1 * ratios * detune)
    shape_at_contact = rng.uniform(0.3, 1.0, size=count)  # |φ_k(x)|, away from nodal lines
    amplitude = shape_at_contact**2 / np.sqrt(freq_hz / f1)

    omega = 2.0 * np.pi * freq_hz
    xi = material.damping_ratio(omega)
    ringing = xi < MAX_DAMPING_RATIO
    damped_hz = freq_hz * np.sqrt(np.clip(1.0 - xi * xi, 0.0, None))
    in_band = (damped_hz < max_freq_hz) & (damped_hz >= MIN_AUDIBLE_HZ)
    keep = ringing & in_band
    decay = material.decay_rate_per_s(omega)
    order = np.argsort(decay[keep], kind="stable")  # slowest first: the template's active rows shrink
    return ModeBank(
        damped_freq_hz=damped_hz[keep][order],
        decay_per_s=decay[keep][order],
        amplitude=amplitude[keep][order],
        first_freq_hz=float(f1),
        dropped_out_of_band=int(np.count_nonzero(ringing & ~in_band)),
        dropped_overdamped=int(np.count_nonzero(~ringing)),
    )


def truncation_length(bank: ModeBank, sample_rate_hz: int) -> np.ndarray:
    """Samples until each mode has decayed by TRUNCATE_DB. Shape (K,), int."""
    return np.ceil(_LN_TRUNCATE / bank.decay_per_s * sample_rate_hz).astype(np.int64)


def block_basis(bank: ModeBank, sample_rate_hz: int, block: int) -> np.ndarray:
    """The first `block` samples of every mode, z_k^n with z_k = exp(s_k / fs), as real rows.

    Shape (2K, block) float32: rows 0..K-1 hold Im z_k^n, rows K..2K-1 hold Re z_k^n, so that for a
    complex amplitude A_k the response Im(A_k·z_k^n) is [Re A, Im A] @ basis.
    """
    z = np.exp(bank.poles_per_s()[:, None] * (np.arange(block)[None, :] / sample_rate_hz))
    return np.concatenate([z.imag, z.real]).astype(np.float32)


def add_mode_responses(out: np.ndarray, bank: ModeBank, sample_rate_hz: int, amplitudes: np.ndarray,
                       starts: np.ndarray, *, block: int, basis: np.ndarray | None = None,
                       max_rows: int = 4096) -> None:
    """Add Σ_k Im(A_ek · z_k^(n − start_e)) for every event e to `out` (T,) in place.

    amplitudes: (E, K) complex; starts: (E,) first sample of each response (may be ≥ T: skipped).
    Block k·B of a mode is its first block times z^(kB), so all blocks of all events come out of one
    real matrix product (rows of [Re C, Im C]) @ basis — BLAS speed, no per-sample exp. A mode
    stops (block granularity) once it has decayed by TRUNCATE_DB, and every response stops at the end
    of `out`.
    """
    num_samples = out.shape[0]
    if bank.num_modes == 0 or amplitudes.shape[0] == 0:
        return
    if basis is None:
        basis = block_basis(bank, sample_rate_hz, block)
    poles = bank.poles_per_s()
    stop = truncation_length(bank, sample_rate_hz)
    ring = int(stop.max())
    rows: list[np.ndarray] = []
    spans: list[tuple[int, int]] = []  # (start sample, length) of each event with rows
    pending = 0

    def flush() -> None:
        nonlocal rows, spans, pending
        if not rows:
            return
        coeff = np.concatenate(rows)
        weights = np.concatenate([coeff.real, coeff.imag], axis=1).astype(np.float32)
        responses = weights @ basis  # (rows, block)
        r = 0
        for start, length in spans:
            nb = -(-length // block)
            out[start : start + length] += responses[r : r + nb].reshape(-1)[:length]
            r += nb
        rows, spans, pending = [], [], 0

    for amp, start in zip(amplitudes, starts):
        length = min(ring, num_samples - int(start))
        if length <= 0:
            continue
        nb = -(-length // block)
        offsets = np.arange(nb) * block
        coeff = amp[None, :] * np.exp(poles[None, :] * (offsets[:, None] / sample_rate_hz))
        coeff[offsets[:, None] >= stop[None, :]] = 0.0
        rows.append(coeff)
        spans.append((int(start), length))
        pending += nb
        if pending >= max_rows:
            flush()
    flush()
