"""pavas_core.comfy_types: ComfyUI IMAGE/AUDIO layouts ↔ Clip and AudioTrack."""

from __future__ import annotations

from types import MappingProxyType

import numpy as np
import pytest
import torch

from pavas_core.comfy_types import (
    audio_batch,
    audio_to_track,
    clip_from_comfy,
    frames_to_image,
    image_to_frames,
    silent_audio,
    track_to_audio,
    waveform_to_audio,
)
from pavas_core.errors import BadInputError
from pavas_core.video import AudioTrack


def test_uint8_frames_survive_a_round_trip_through_image():
    frames = np.random.default_rng(0).integers(0, 256, size=(70, 5, 7, 3), dtype=np.uint8)  # > one chunk
    image = frames_to_image(frames)
    assert image.dtype == torch.float32 and tuple(image.shape) == (70, 5, 7, 3)
    assert np.array_equal(image_to_frames(image), frames)


def test_grey_and_alpha_images_become_rgb():
    grey = torch.full((2, 3, 3, 1), 0.5)
    assert np.all(image_to_frames(grey) == 128)
    rgba = torch.zeros(2, 3, 3, 4)
    rgba[..., 3] = 1.0
    assert np.all(image_to_frames(rgba) == 0)


@pytest.mark.parametrize("images, message", [
    (torch.full((1, 2, 2, 3), float("nan")), "NaN"),
    (torch.zeros(0, 2, 2, 3), "empty"),
    (torch.zeros(2, 2, 2, 5), "frames shaped"),
    ([[0.0]], "expected IMAGE"),
])
def test_bad_images_are_refused_with_a_reason(images, message):
    with pytest.raises(BadInputError, match=message):
        image_to_frames(images)


def test_audio_from_any_mapping_keeps_the_true_rate_and_batch():
    wave = torch.randn(2, 2, 100) * 0.1
    audio = MappingProxyType({"waveform": wave, "sample_rate": 22050})
    track = audio_to_track(audio, batch_index=1)
    assert track.sample_rate_hz == 22050 and np.allclose(track.waveform, wave[1].numpy())
    batch, rate = audio_batch(audio)
    assert rate == 22050 and np.array_equal(batch, wave.numpy())


@pytest.mark.parametrize("audio, message", [
    ({"waveform": torch.zeros(1, 1, 4), "sample_rate": 0}, "positive integer"),
    ({"waveform": torch.zeros(1, 1, 4), "sample_rate": 44100.5}, "positive integer"),
    ({"waveform": torch.zeros(4), "sample_rate": 8000}, r"\[batch, channels, samples\]"),
    ({"sample_rate": 8000}, "'waveform'"),
    ({"waveform": torch.full((1, 1, 4), float("nan")), "sample_rate": 8000}, "NaN"),
])
def test_bad_audio_is_refused_with_a_reason(audio, message):
    with pytest.raises(BadInputError, match=message):
        audio_to_track(audio)


def test_track_to_audio_and_silence_have_comfyui_layout():
    audio = track_to_audio(AudioTrack(np.ones((2, 10), np.float32), 16000))
    assert tuple(audio["waveform"].shape) == (1, 2, 10) and audio["sample_rate"] == 16000
    assert bool((audio["waveform"] == 1.0).all())
    silence = silent_audio(0.5, 8000)
    assert tuple(silence["waveform"].shape) == (1, 1, 4000) and float(silence["waveform"].abs().max()) == 0
    assert waveform_to_audio(np.zeros((3, 1, 5)), 8000)["waveform"].shape[0] == 3


def test_clip_from_comfy_times_frames_by_the_given_fps():
    clip = clip_from_comfy(torch.rand(12, 4, 4, 3), 6.0, {"waveform": torch.zeros(1, 1, 160), "sample_rate": 80})
    assert clip.fps == 6.0 and clip.duration_s == pytest.approx(2.0)
    assert np.allclose(clip.timestamps_s, np.arange(12) / 6.0)
    assert clip.audio.sample_rate_hz == 80
    with pytest.raises(BadInputError, match="fps"):
        clip_from_comfy(torch.rand(2, 4, 4, 3), 0.0)
