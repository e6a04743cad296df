"""The limits that keep memory bounded by what an input really holds, not by what it claims.

Every size a file, a JSON document, a ComfyUI link or a command line can state is checked against
one of these numbers before anything is allocated from it; beyond a limit the input is refused with
one line that names the limit and what to do (a :class:`~pavas_core.errors.BadInputError`).
The README's "Limits" section lists them; change them here and only here.
"""

from __future__ import annotations

import math

from .errors import BadInputError

# --- time -----------------------------------------------------------------------------------------
MAX_DURATION_S = 3600.0  # a clip, a sound, a physics timeline: one hour
MAX_FRAME_GAP_S = 10.0  # between two consecutive frames (and the last frame's time on screen)
MIN_WINDOW_S = 0.001  # the shortest part of a video one may ask to load
MAX_FPS = 1000.0  # frame rate of frames in memory, or asked for when resampling

# --- pictures -------------------------------------------------------------------------------------
MAX_PICTURE_SIDE_PX = 16384  # either side of a stored or requested picture
MAX_PICTURE_PIXELS = 8192 * 8192  # width × height of one picture (67 Mpx; 8K UHD is 33 Mpx)
MIN_ANALYSIS_SIDE_PX = 16  # physics needs at least this many pixels on each side of the analysed frames
MAX_DECODED_BYTES = 4 * 1024**3  # the decoded frames of one clip (uint8 RGB)

# --- sound ----------------------------------------------------------------------------------------
MIN_SAMPLE_RATE_HZ = 1
MAX_SAMPLE_RATE_HZ = 384_000
MAX_AUDIO_CHANNELS = 8
MAX_DECODED_AUDIO_SAMPLES = 2**27  # samples of all channels decoded from one file (512 MiB as float32)

# --- physics and metrics --------------------------------------------------------------------------
MAX_OBJECTS = 1024  # objects in one physics document
MAX_IMPACTS = 100_000  # impacts in one physics document, and events scored by one APCC run

# --- files ----------------------------------------------------------------------------------------
MAX_JSON_BYTES = 64 * 1024**2  # physics.json, index.json, config.json, weight-file metadata
MAX_JSON_DEPTH = 64  # nesting of arrays and objects in those documents

# --- generation -----------------------------------------------------------------------------------
MAX_SEED = 2**64 - 1  # seeds are unsigned 64-bit, as ComfyUI's seed widgets
MAX_SAMPLING_STEPS = 1000


def _number(value, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) and not hasattr(value, "__float__"):
        raise BadInputError(f"{what} must be a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise BadInputError(f"{what} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise BadInputError(f"{what} must be a finite number, got {value!r}")
    return number


def check_duration_s(duration_s, what: str = "duration") -> float:
    """A duration in (0, MAX_DURATION_S] seconds, as float."""
    value = _number(duration_s, what)
    if value <= 0:
        raise BadInputError(f"{what} must be more than 0 s, got {value:g} s")
    if value > MAX_DURATION_S:
        raise BadInputError(
            f"{what} is {value:g} s, longer than the {MAX_DURATION_S:g} s limit; cut the input into shorter parts"
        )
    return value


def check_sample_rate_hz(rate, what: str = "sample rate") -> int:
    """A whole number of Hz in [MIN_SAMPLE_RATE_HZ, MAX_SAMPLE_RATE_HZ], as int."""
    value = _number(rate, what)
    if value != int(value):
        raise BadInputError(f"{what} must be a whole number of Hz, got {rate!r}")
    if not MIN_SAMPLE_RATE_HZ <= value <= MAX_SAMPLE_RATE_HZ:
        raise BadInputError(
            f"{what} is {value:.0f} Hz, outside the supported {MIN_SAMPLE_RATE_HZ}..{MAX_SAMPLE_RATE_HZ} Hz; "
            "resample the audio (e.g. to 48000 Hz) first"
        )
    return int(value)


def check_audio_samples(num_samples: int, sample_rate_hz: int, what: str = "sound") -> None:
    """A sound of `num_samples` at `sample_rate_hz` may be made: it lasts at most MAX_DURATION_S."""
    if num_samples > MAX_DURATION_S * sample_rate_hz + 1:
        raise BadInputError(
            f"{what} would last {num_samples / sample_rate_hz:g} s, longer than the {MAX_DURATION_S:g} s limit"
        )


def check_fps(fps, what: str = "fps") -> float:
    """A frame rate in [1 / MAX_FRAME_GAP_S, MAX_FPS] frames per second, as float."""
    value = _number(fps, what)
    if not 1.0 / MAX_FRAME_GAP_S <= value <= MAX_FPS:
        raise BadInputError(
            f"{what} must be from {1.0 / MAX_FRAME_GAP_S:g} to {MAX_FPS:g} frames per second, got {value:g}"
        )
    return value


def check_picture_size(width, height, what: str = "picture") -> tuple[int, int]:
    """(width, height) of at least 1 px each, within MAX_PICTURE_SIDE_PX and MAX_PICTURE_PIXELS."""
    w, h = _number(width, f"{what} width"), _number(height, f"{what} height")
    if w != int(w) or h != int(h) or w < 1 or h < 1:
        raise BadInputError(f"{what} size must be whole pixels >= 1, got {width!r}x{height!r}")
    w, h = int(w), int(h)
    if max(w, h) > MAX_PICTURE_SIDE_PX or w * h > MAX_PICTURE_PIXELS:
        raise BadInputError(
            f"{what} of {w}x{h} px is larger than the limit ({MAX_PICTURE_SIDE_PX} px a side, "
            f"{MAX_PICTURE_PIXELS / 1e6:.0f} Mpx); scale it down first"
        )
    return w, h


def check_analysis_size(width: int, height: int, what: str = "frames") -> None:
    """Physics needs frames of at least MIN_ANALYSIS_SIDE_PX on each side."""
    if min(width, height) < MIN_ANALYSIS_SIDE_PX:
        raise BadInputError(
            f"{what} of {width}x{height} px are too small to see motion in (each side needs at least "
            f"{MIN_ANALYSIS_SIDE_PX} px); use a bigger (or less thin) video, or a larger analysis size"
        )


def check_frame_gap(previous_s: float, time_s: float, where: str) -> None:
    """Consecutive frames at most MAX_FRAME_GAP_S apart (damaged or hostile timestamps otherwise)."""
    gap = time_s - previous_s
    if gap > MAX_FRAME_GAP_S:
        raise BadInputError(
            f"{where}: two consecutive frames are {gap:g} s apart (at {previous_s:g} s and {time_s:g} s), more than "
            f"the {MAX_FRAME_GAP_S:g} s limit; its timestamps look damaged: re-encode it at a constant frame rate "
            "(e.g. ffmpeg -i IN -r 30 OUT.mp4)"
        )


def check_seed(seed, what: str = "seed") -> int:
    """A whole number in [0, MAX_SEED]."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        try:
            as_float = float(seed)
        except (TypeError, ValueError, OverflowError):
            raise BadInputError(f"{what} must be a whole number, got {seed!r}") from None
        if not (math.isfinite(as_float) and as_float == int(as_float)):
            raise BadInputError(f"{what} must be a whole number, got {seed!r}")
        seed = int(as_float)
    if not 0 <= seed <= MAX_SEED:
        raise BadInputError(f"{what} must be between 0 and {MAX_SEED}, got {seed}")
    return seed


def window_seed(seed: int, index: int) -> int:
    """The seed of window `index` of a run seeded with `seed` (wraps within 64 bits)."""
    return (int(seed) + int(index)) % (MAX_SEED + 1)
