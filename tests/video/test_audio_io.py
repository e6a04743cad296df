"""read_audio / write_wav / fitting audio to a duration."""

from __future__ import annotations

import wave

import numpy as np
import pytest

from pavas_core.errors import BadInputError
from pavas_core.video import AudioTrack, read_audio, write_wav
from pavas_core.video.audio_io import fit_audio_to_duration
from tolerances import fp32_rounding_bound


def stereo_sweep(sample_rate_hz=22050, duration_s=0.5) -> AudioTrack:
    t = np.arange(int(sample_rate_hz * duration_s)) / sample_rate_hz
    left = 0.8 * np.sin(2 * np.pi * 300 * t)
    right = 0.3 * np.sin(2 * np.pi * 1200 * t)
    return AudioTrack(np.stack([left, right]).astype(np.float32), sample_rate_hz)


def test_16_bit_wav_round_trips_within_half_a_quantisation_step(tmp_path):
    audio = stereo_sweep()
    path = tmp_path / "out.wav"
    write_wav(path, audio)
    with wave.open(str(path)) as handle:  # the stdlib reads only integer PCM: proves the format
        assert (handle.getnchannels(), handle.getsampwidth(), handle.getframerate()) == (2, 2, 22050)
        assert handle.getnframes() == audio.waveform.shape[1]
    back = read_audio(path)
    assert back.sample_rate_hz == 22050 and back.waveform.dtype == np.float32
    # half a 16-bit step, plus fp32 rounding of the scaling to and from integers (values ≤ 1)
    np.testing.assert_allclose(back.waveform, audio.waveform, rtol=0, atol=0.5 / 32768 + fp32_rounding_bound(2, 1.0))


def test_32_bit_float_wav_round_trips_exactly(tmp_path):
    audio = stereo_sweep()
    audio.waveform[0, :10] = 1.5  # floats may exceed full scale and must survive
    path = tmp_path / "out_f32.wav"
    write_wav(path, audio, bit_depth=32)
    header = path.read_bytes()[:64]
    assert header[:4] == b"RIFF" and header[8:12] == b"WAVE"
    back = read_audio(path)
    np.testing.assert_array_equal(back.waveform, audio.waveform)


def test_16_bit_wav_clips_beyond_full_scale(tmp_path):
    audio = AudioTrack(np.array([[2.0, -2.0, 0.5]], np.float32), 8000)
    write_wav(tmp_path / "clip.wav", audio)
    back = read_audio(tmp_path / "clip.wav")
    np.testing.assert_array_equal(back.waveform[0], np.float32([32767 / 32768, -1.0, 0.5]))


def test_a_one_dimensional_waveform_is_written_as_mono(tmp_path):
    write_wav(tmp_path / "mono.wav", AudioTrack(np.zeros(100, np.float32), 16000))
    assert read_audio(tmp_path / "mono.wav").waveform.shape == (1, 100)


@pytest.mark.parametrize(
    ("audio", "bit_depth", "message"),
    [
        (AudioTrack(np.zeros((1, 10), np.float32), 16000), 24, "bit_depth"),
        (AudioTrack(np.array([[0.0, np.nan]], np.float32), 16000), 16, "NaN"),
        (AudioTrack(np.zeros((1, 10), np.float32), 0), 16, "sample rate"),
        (AudioTrack(np.zeros((9, 10), np.float32), 16000), 16, "9 channels"),
        (AudioTrack(np.zeros((1, 1, 10), np.float32), 16000), 16, "shape"),
        (AudioTrack(np.zeros((1, 10), np.int16), 16000), 16, "floating point"),
    ],
)
def test_unusable_audio_is_rejected_and_nothing_is_written(tmp_path, audio, bit_depth, message):
    with pytest.raises(BadInputError, match=message):
        write_wav(tmp_path / "bad.wav", audio, bit_depth=bit_depth)
    assert list(tmp_path.iterdir()) == []


def test_read_audio_decodes_aac_at_its_rate(media, kit):
    audio = read_audio(media.audio_only_m4a)
    assert audio.sample_rate_hz == 44100 and audio.waveform.shape[0] == 1
    # AAC adds at most one frame (1024 samples) of padding at the end.
    assert 44100 <= audio.waveform.shape[1] <= 44100 + 1024
    assert kit.dominant_frequency_hz(audio.waveform, 44100) == pytest.approx(kit.TONE_HZ, abs=2.0)


def test_read_audio_takes_the_sound_of_a_video(media, kit):
    audio = read_audio(media.webm_with_audio)
    assert audio.sample_rate_hz == 48000 and audio.waveform.shape[0] == 2
    assert kit.onset_time_s(audio.waveform, 48000) == pytest.approx(kit.SYNC_ONSET_S, abs=0.01)


def test_fit_to_duration_trims_or_pads_with_silence():
    audio = AudioTrack(np.ones((2, 100), np.float32), 100)
    longer = fit_audio_to_duration(audio, 1.5)
    assert longer.waveform.shape == (2, 150)
    assert longer.waveform[:, :100].min() == 1.0 and longer.waveform[:, 100:].max() == 0.0
    assert fit_audio_to_duration(audio, 0.25).waveform.shape == (2, 25)
