"""Render impact events as sound: Hertz force pulse → modal bank, calibrated to the energy lost.

Per event:
1. Contact time τ_c from Hertz (contact.py); the force is a half-sine of that length.
2. Every mode k of the object's bank (modal.py), pole s_k = −d_k + iω_k, gets the complex amplitude
   a_k·P(s_k), where P is the Laplace transform of the centred pulse (contact.half_sine_laplace; on
   the frequency axis it is flat below ≈1/τ_c and rolls off above) — so a faster, lighter or harder
   hit excites more high modes and sounds brighter. The modal response starts at the pulse centre;
   from τ_c/2 after it on, Im(a_k·P(s_k)·e^(s_k·t)) is exactly the pulse convolved with the mode's
   impulse response (computed in closed form instead of a sampled convolution, which would need
   sub-sample pulses for hard contacts), and since the pulse is symmetric the response starts near
   zero.
3. Calibration (absolute, never per-event normalisation): the event is scaled so that its energy in
   the onset window [t, t + ONSET_WINDOW_S) equals

       E = Nw · 10^((ONSET_DBFS_AT_1_J + radiation_db) / 10) · ΔKE / (1 J)

   (Nw = samples in the window), i.e. its onset mean-square level in dBFS is
   ONSET_DBFS_AT_1_J + radiation_db + 10·log10(ΔKE / 1 J); ONSET_DBFS_AT_1_J = −20 dBFS.
   The onset *energy* (after the contact filter has shaped the spectrum) follows ΔKE, so the level
   follows 10·log10 ΔKE with slope 1 while the brightness still changes with speed.
   ΔKE = ½·m·(v_before² − v_after²).
4. Soft materials (rubber, cardboard, fabric) put a share of that energy into a contact-noise burst
   (white noise low-passed at 1/τ_c, rising over the first half of the contact, then decaying
   exponentially); one factor per event then makes the onset energy of modes + noise exactly E.
   An object with no ringing mode in the band is rendered as that burst alone (with a note).

Events of the same material and size share one object (one mode bank); all blocks of all its events
are rendered with one real matrix product (modal.add_mode_responses), and every mode is cut once it
has decayed by 90 dB.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from ..errors import BadInputError
from ..limits import check_duration_s
from ..materials import MATERIAL_NAMES, Material, get_material
from .contact import half_sine_laplace, hertz_contact_time_s
from .modal import ModeBank, add_mode_responses, block_basis, build_mode_bank, object_seed

ONSET_WINDOW_S = 0.02
ONSET_DBFS_AT_1_J = -20.0  # onset mean-square level of a 1 J impact of a hard material (radiation_db = 0)
MAX_AUDIBLE_HZ = 20000.0  # modes above this are left out even when the sample rate could hold them
MIN_SAMPLE_RATE_HZ = 8000
MAX_SAMPLE_RATE_HZ = 192000
_MIN_BLOCK = 1024  # samples per block of the modal renderer (see modal.add_mode_responses)
# What an impact lands on when the surface is not known: a concrete-like hard floor.
GENERIC_FLOOR = get_material("stone")


@dataclass
class ImpactEvent:
    time_s: float  # contact time in the output timeline
    mass_kg: float
    v_before: float  # speed just before contact, m/s
    v_after: float  # speed just after contact, m/s
    material: str  # one of MATERIAL_NAMES (the object)
    size_m: float  # characteristic size of the object (diameter / longest side)
    surface_material: str | None = None  # what it hits; None = a generic hard floor. It sets the
    # Hertz contact stiffness (contact time, brightness) only: the surface's own modes are not rendered.

    @property
    def delta_ke_j(self) -> float:
        """Kinetic energy lost: ½·m·(v_before² − v_after²)."""
        return 0.5 * self.mass_kg * (self.v_before**2 - self.v_after**2)


@dataclass
class ImpactRender:
    """waveform: (1, T) float32, absolute calibration. events: those rendered (in input order).
    contact_times_s: τ_c of each rendered event. notes: events skipped and other things to know."""

    waveform: np.ndarray
    sample_rate_hz: int
    events: list[ImpactEvent] = field(default_factory=list)
    contact_times_s: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def onset_energy_target(delta_ke_j: float, material: Material, window_samples: int) -> float:
    """Sum of squares the event must have in its onset window (see module docstring)."""
    level_db = ONSET_DBFS_AT_1_J + material.radiation_db
    return window_samples * 10.0 ** (level_db / 10.0) * delta_ke_j


def _check_number(where: str, name: str, value: object, *, positive: bool = False, non_negative: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise BadInputError(f"{where}: {name} must be a number, got {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise BadInputError(f"{where}: {name} must be finite, got {value!r}")
    if positive and v <= 0:
        raise BadInputError(f"{where}: {name} must be positive, got {value!r}")
    if non_negative and v < 0:
        raise BadInputError(f"{where}: {name} must not be negative (it is a speed), got {value!r}")
    return v


def _validate_event(i: int, event: object) -> None:
    if not isinstance(event, ImpactEvent):
        raise BadInputError(f"impact {i}: expected an ImpactEvent, got {type(event).__name__}")
    where = f"impact {i}"
    _check_number(where, "time_s", event.time_s)
    _check_number(where, "mass_kg", event.mass_kg, positive=True)
    _check_number(where, "size_m", event.size_m, positive=True)
    _check_number(where, "v_before", event.v_before, non_negative=True)
    _check_number(where, "v_after", event.v_after, non_negative=True)
    if event.material not in MATERIAL_NAMES:
        raise BadInputError(f"{where}: unknown material {event.material!r}; use one of {', '.join(MATERIAL_NAMES)}")
    if event.surface_material is not None and event.surface_material not in MATERIAL_NAMES:
        raise BadInputError(
            f"{where}: unknown surface_material {event.surface_material!r}; "
            f"use one of {', '.join(MATERIAL_NAMES)} or None for a generic hard floor"
        )


def _validate_call(duration_s: object, sample_rate_hz: object, seed: object) -> tuple[float, int]:
    duration = check_duration_s(_check_number("render", "duration_s", duration_s, positive=True), "the sound's duration")
    if isinstance(sample_rate_hz, bool) or not isinstance(sample_rate_hz, (int, np.integer)):
        raise BadInputError(f"sample_rate_hz must be an integer, got {sample_rate_hz!r}")
    if not MIN_SAMPLE_RATE_HZ <= int(sample_rate_hz) <= MAX_SAMPLE_RATE_HZ:
        raise BadInputError(
            f"sample_rate_hz must be between {MIN_SAMPLE_RATE_HZ} and {MAX_SAMPLE_RATE_HZ} (e.g. 16000, 44100, 48000), "
            f"got {sample_rate_hz}"
        )
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise BadInputError(f"seed must be an integer, got {seed!r}")
    return duration, int(sample_rate_hz)


@dataclass
class _Planned:
    index: int  # position in the input list
    event: ImpactEvent
    contact_time_s: float
    onset_sample: int  # first sample of the onset window (the contact time)
    modal_start: int  # first sample of the modal response (pulse centre, rounded up)
    modal_offset_s: float  # modal_start/fs − pulse centre, in [0, 1/fs)


def synthesize_impacts(events: list[ImpactEvent], *, duration_s: float, sample_rate_hz: int = 44100,
                       seed: int = 0) -> ImpactRender:
    """Render `events` into a (1, T) float32 waveform, T = round(duration_s·fs); see the module docstring.

    Events outside [0, duration_s) and events that lose no kinetic energy (ΔKE <= 0) are skipped
    with a note. Same inputs and seed → the same samples.
    """
    duration, fs = _validate_call(duration_s, sample_rate_hz, seed)
    events = list(events)
    for i, event in enumerate(events):
        _validate_event(i, event)
    num_samples = int(round(duration * fs))
    out = np.zeros(num_samples, dtype=np.float32)
    notes: list[str] = []
    window = max(1, int(round(ONSET_WINDOW_S * fs)))
    band_limit_hz = min(MAX_AUDIBLE_HZ, 0.5 * fs)

    groups: dict[tuple, list[_Planned]] = {}
    skipped_outside: list[int] = []
    skipped_no_loss: list[int] = []
    for i, event in enumerate(events):
        if not 0.0 <= event.time_s < duration:
            skipped_outside.append(i)
            continue
        if event.delta_ke_j <= 0.0:
            skipped_no_loss.append(i)
            continue
        body = get_material(event.material)
        surface = GENERIC_FLOOR if event.surface_material is None else get_material(event.surface_material)
        tau = hertz_contact_time_s(mass_kg=event.mass_kg, size_m=event.size_m, speed_mps=event.v_before,
                                   body=body, surface=surface)
        centre_s = event.time_s + 0.5 * tau
        modal_start = int(math.ceil(centre_s * fs))
        key = (event.material, float(event.size_m))
        groups.setdefault(key, []).append(
            _Planned(i, event, tau, int(round(event.time_s * fs)), modal_start, modal_start / fs - centre_s)
        )
    if skipped_outside:
        notes.append(f"{len(skipped_outside)} impact(s) outside [0, {duration:g}) s ignored "
                     f"(indices {skipped_outside})")
    if skipped_no_loss:
        notes.append(f"{len(skipped_no_loss)} impact(s) with no kinetic energy lost (v_after >= v_before) "
                     f"make no sound and were skipped (indices {skipped_no_loss})")

    rendered: dict[int, float] = {}
    for (material_name, size_m), planned in groups.items():
        material = get_material(material_name)
        rng = object_seed(seed, material_name, size_m)
        bank = build_mode_bank(material, size_m, max_freq_hz=band_limit_hz, rng=rng)
        if bank.num_modes == 0:
            notes.append(f"{material_name} object of {size_m:g} m has no ringing mode in 20-{band_limit_hz:g} Hz; "
                         "its impacts are rendered as contact clicks only")
        _render_object(out, planned, material, bank, fs=fs, window=window, seed=seed)
        for p in planned:
            rendered[p.index] = p.contact_time_s

    order = sorted(rendered)
    return ImpactRender(
        waveform=out[None, :],
        sample_rate_hz=fs,
        events=[events[i] for i in order],
        contact_times_s=[rendered[i] for i in order],
        notes=notes,
    )


def _render_object(out: np.ndarray, planned: list[_Planned], material: Material, bank: ModeBank, *,
                   fs: int, window: int, seed: int) -> None:
    """Add the impacts of one object (same modes) to `out` (T,) in place.

    Calibration per event: the modal part is scaled to (1 − η)·E and the contact noise to η·E in the
    onset window, then both by one factor so that the energy of their sum there is exactly E
    (η = the material's contact_noise_fraction; 1 when no mode rings below the band limit).
    """
    num_samples = out.shape[0]
    noise_share = material.contact_noise_fraction if bank.num_modes else 1.0
    has_modes = bank.num_modes > 0 and noise_share < 1.0
    block = max(_MIN_BLOCK, 1 << int(window).bit_length())  # one block covers the onset window
    basis = block_basis(bank, fs, block) if has_modes else None
    poles = bank.poles_per_s()
    amplitudes = np.zeros((len(planned), bank.num_modes), dtype=np.complex128)
    for row, p in enumerate(planned):
        target = onset_energy_target(p.event.delta_ke_j, material, window)
        onset = np.zeros(window)
        modal_gain = noise_gain = 0.0
        if has_modes:
            amp = bank.amplitude * half_sine_laplace(poles, p.contact_time_s) * np.exp(poles * p.modal_offset_s)
            lead = p.modal_start - p.onset_sample  # < window: the pulse centre lies inside the window
            modal = np.concatenate([amp.real, amp.imag]) @ basis[:, : window - lead].astype(np.float64)
            modal_gain = math.sqrt((1.0 - noise_share) * target / float(modal @ modal))
            onset[lead:] += modal_gain * modal
            amplitudes[row] = amp
        burst = None
        if noise_share > 0.0:
            burst = _contact_noise(p, material.contact_noise_decay_s or 0.002, fs, seed)
            head = burst[:window]
            noise_gain = math.sqrt(noise_share * target / float(head @ head))
            onset[: head.shape[0]] += noise_gain * head
        joint = math.sqrt(target / float(onset @ onset))  # absorbs the modal × noise cross term
        amplitudes[row] *= modal_gain * joint
        if burst is not None:
            n = min(burst.shape[0], num_samples - p.onset_sample)
            out[p.onset_sample : p.onset_sample + n] += (noise_gain * joint * burst[:n]).astype(np.float32)
    if has_modes:
        starts = np.array([p.modal_start for p in planned], dtype=np.int64)
        add_mode_responses(out, bank, fs, amplitudes, starts, block=block, basis=basis)


def _contact_noise(p: _Planned, decay_s: float, fs: int, seed: int) -> np.ndarray:
    """The contact-noise burst of one event, unscaled. Shape (N,) float64.

    White noise low-passed at f_c = 1/τ_c (first order, zero phase; a shorter contact gives a
    brighter burst), under an envelope that rises over the first half of the contact and then
    decays with e-folding time `decay_s`.
    """
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, 0x6E6F, p.index])
    rise = max(1, int(round(0.5 * p.contact_time_s * fs)))
    length = rise + max(4, int(math.ceil(6.0 * decay_s * fs)))
    size = 1 << int(length).bit_length()
    spectrum = np.fft.rfft(rng.standard_normal(size))
    freq_hz = np.fft.rfftfreq(size, 1.0 / fs)
    noise = np.fft.irfft(spectrum / np.sqrt(1.0 + (freq_hz * p.contact_time_s) ** 2), n=size)[:length]
    t = np.arange(length)
    envelope = np.where(t < rise, np.sin(0.5 * np.pi * (t + 1) / rise),
                        np.exp(-(t - rise) / (decay_s * fs)))
    return noise * envelope


def render_impacts(events: list[ImpactEvent], *, duration_s: float, sample_rate_hz: int = 44100,
                   seed: int = 0) -> np.ndarray:
    """The sound of `events`: (1, T) float32, T = round(duration_s·fs), absolute calibration.

    No normalisation of any kind: a 1 J impact of a hard material has an onset (first 20 ms) mean-square
    level of about −20 dBFS, and louder events may exceed ±1 (render_foley applies one global gain).
    Skipped events (outside the clip, no energy lost) are reported as UserWarning; use
    synthesize_impacts to get them as a list instead.
    """
    result = synthesize_impacts(events, duration_s=duration_s, sample_rate_hz=sample_rate_hz, seed=seed)
    for note in result.notes:
        warnings.warn(note, UserWarning, stacklevel=2)
    return result.waveform
