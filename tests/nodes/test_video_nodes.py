"""Load Video (PAVAS), Clip From Frames or Video, Mux Audio Into Video."""

from __future__ import annotations

from fractions import Fraction
from types import MappingProxyType

import numpy as np
import pytest
import torch

from tolerances import fp32_rounding_bound


def load_node(pack):
    return pack.NODE_CLASS_MAPPINGS["PAVAS_LoadVideo"]()


def test_load_video_outputs_frames_fps_audio_and_clip(pack, core, ball_video):
    frames, fps, audio, clip = load_node(pack).load("ball.mp4", max_side=0, force_fps=0.0, start_s=0.0, max_duration_s=0.0)
    assert frames.dtype == torch.float32 and tuple(frames.shape) == (36, 48, 64, 3)
    assert 0.0 <= float(frames.min()) and float(frames.max()) <= 1.0
    assert fps == pytest.approx(24.0)
    assert audio["sample_rate"] == 16000  # the file's true rate, not a hard-coded one
    assert audio["waveform"].shape[:2] == (1, 1)
    assert audio["waveform"].shape[-1] == pytest.approx(1.5 * 16000, abs=400)
    assert isinstance(clip, core.video.Clip) and clip.num_frames == 36


def test_load_video_resizes_resamples_and_windows(pack, ball_video):
    frames, fps, audio, clip = load_node(pack).load("ball.mp4", max_side=32, force_fps=12.0, start_s=0.5,
                                                    max_duration_s=0.5)
    assert tuple(frames.shape[1:3]) == (24, 32)
    assert fps == pytest.approx(12.0) and frames.shape[0] == 6
    assert audio["waveform"].shape[-1] == pytest.approx(0.5 * 16000, abs=200)


def test_load_video_lists_only_videos_of_the_input_folder(pack, comfy, ball_video):
    (comfy.input_dir / "notes.txt").write_text("x")
    (comfy.input_dir / "picture.png").write_bytes(b"x")
    names = pack.NODE_CLASS_MAPPINGS["PAVAS_LoadVideo"].INPUT_TYPES()["required"]["video"][0]
    assert "ball.mp4" in names and "notes.txt" not in names and "picture.png" not in names


@pytest.mark.parametrize("name, message", [
    ("missing.mp4", "not found"),
    ("../../etc/passwd", "outside ComfyUI's input folder"),
    ("", "no video selected"),
])
def test_load_video_refuses_missing_files_and_paths_outside_the_input_folder(pack, core, name, message):
    with pytest.raises(core.errors.BadInputError, match=message):
        load_node(pack).load(name, max_side=0, force_fps=0.0, start_s=0.0, max_duration_s=0.0)


def test_load_video_reports_a_corrupt_file_clearly(pack, core, comfy):
    (comfy.input_dir / "broken.mp4").write_bytes(b"\x00\x01 not a video" * 10)
    with pytest.raises(core.errors.BadInputError, match="broken.mp4"):
        load_node(pack).load("broken.mp4", max_side=0, force_fps=0.0, start_s=0.0, max_duration_s=0.0)


def test_video_without_sound_gives_silence_of_the_clip_length(pack, core, comfy):
    from conftest import write_ball_video

    write_ball_video(core, comfy.input_dir / "mute.mp4", with_audio=False)
    _, _, audio, clip = load_node(pack).load("mute.mp4", max_side=0, force_fps=0.0, start_s=0.0, max_duration_s=0.0)
    assert clip.audio is None
    assert audio["waveform"].shape[-1] == round(clip.duration_s * audio["sample_rate"])
    assert float(audio["waveform"].abs().max()) == 0.0


def test_clip_from_frames_uses_the_given_fps_and_lazy_mapping_audio(pack, core):
    node = pack.NODE_CLASS_MAPPINGS["PAVAS_ClipFromFrames"]()
    images = torch.rand(10, 16, 20, 3)
    # VideoHelperSuite hands over a lazy Mapping, not a dict
    audio = MappingProxyType({"waveform": torch.zeros(1, 2, 8000), "sample_rate": 22050})
    frames, fps, audio_out, clip = node.make_clip(fps=5.0, images=images, audio=audio)
    assert fps == 5.0 and clip.duration_s == pytest.approx(2.0)
    # 8-bit frames: half a level, plus fp32 rounding of x·255 and of k/255 (values ≤ 1)
    np.testing.assert_allclose(frames.numpy(), images.numpy(), rtol=0, atol=0.5 / 255 + fp32_rounding_bound(2, 1.0))
    assert audio_out["sample_rate"] == 22050 and tuple(audio_out["waveform"].shape) == (1, 2, 8000)


def test_clip_from_core_video_takes_its_rate_not_the_widget(pack, comfy):
    api = comfy.modules["comfy_api.latest"]
    video = api.InputImpl.VideoFromComponents(api.Types.VideoComponents(
        images=torch.rand(6, 8, 8, 3), frame_rate=Fraction(30000, 1001), audio=None))
    _, fps, _, clip = pack.NODE_CLASS_MAPPINGS["PAVAS_ClipFromFrames"]().make_clip(fps=24.0, video=video)
    assert fps == pytest.approx(29.97, abs=1e-3) and clip.num_frames == 6


@pytest.mark.parametrize("kwargs, message", [
    ({}, "connect `images`"),
    ({"images": torch.full((2, 4, 4, 3), float("nan"))}, "NaN"),
    ({"images": torch.rand(4, 4, 3, 7)}, "frames shaped"),
    ({"images": "not frames"}, "expected IMAGE"),
    ({"images": torch.rand(2, 4, 4, 3), "audio": {"waveform": torch.zeros(1, 1, 10)}}, "sample_rate"),
    ({"video": 42}, "expected a VIDEO"),
])
def test_clip_from_frames_bad_inputs_get_clear_messages(pack, core, kwargs, message):
    with pytest.raises(core.errors.BadInputError, match=message):
        pack.NODE_CLASS_MAPPINGS["PAVAS_ClipFromFrames"]().make_clip(fps=24.0, **kwargs)


def test_lazy_audio_that_fails_to_decode_is_reported_as_bad_input(pack, core):
    class LazyAudio(dict):  # like VHS's LazyAudioMap: decoding happens on first key access
        def __getitem__(self, key):
            raise RuntimeError("ffmpeg: no audio stream")

    with pytest.raises(core.errors.BadInputError, match="could not be read"):
        pack.NODE_CLASS_MAPPINGS["PAVAS_ClipFromFrames"]().make_clip(
            fps=24.0, images=torch.rand(2, 4, 4, 3), audio=LazyAudio())


def test_mux_puts_the_sound_into_a_video_of_the_clip_trimmed_to_its_length(pack, core, comfy, ball_video, tmp_path):
    _, _, _, clip = load_node(pack).load("ball.mp4", max_side=0, force_fps=0.0, start_s=0.0, max_duration_s=0.0)
    tone = torch.sin(torch.arange(44100 * 3) * (2 * np.pi * 660 / 44100)).reshape(1, 1, -1) * 0.5
    (video,) = pack.NODE_CLASS_MAPPINGS["PAVAS_MuxVideo"]().mux({"waveform": tone, "sample_rate": 44100}, clip=clip)
    components = video.get_components()
    assert components.images.shape[0] == clip.num_frames
    assert float(components.frame_rate) == pytest.approx(24.0)
    assert components.audio["sample_rate"] == 44100
    assert components.audio["waveform"].shape[-1] == round(clip.duration_s * 44100)  # 3 s cut to 1.5 s
    out = tmp_path / "muxed.mp4"
    video.save_to(str(out))
    info = core.video.probe_video(out)
    assert info.num_frames == clip.num_frames and info.duration_s == pytest.approx(1.5, abs=0.1)


def test_mux_of_a_whole_loaded_file_copies_its_pictures_at_full_size(pack, core, comfy, ball_video):
    # decoded small for the physics, but the output keeps the file's own pictures (stream copy)
    _, _, _, clip = load_node(pack).load("ball.mp4", max_side=32, force_fps=0.0, start_s=0.0, max_duration_s=0.0)
    assert clip.width == 32
    audio = {"waveform": torch.zeros(1, 1, 16000 * 3), "sample_rate": 16000}
    (video,) = pack.NODE_CLASS_MAPPINGS["PAVAS_MuxVideo"]().mux(audio, clip=clip)
    assert type(video).__name__ == "VideoFromFile" and video.path.startswith(str(comfy.temp_dir))
    src, out = core.video.probe_video(ball_video), core.video.probe_video(video.path)
    assert (out.width, out.height, out.num_frames) == (src.width, src.height, src.num_frames)
    assert out.has_audio and out.duration_s == pytest.approx(src.duration_s, abs=0.05)
    # a cut clip's pictures are not the file's: they are encoded from the clip
    _, _, _, part = load_node(pack).load("ball.mp4", max_side=32, force_fps=0.0, start_s=0.5, max_duration_s=0.0)
    (cut,) = pack.NODE_CLASS_MAPPINGS["PAVAS_MuxVideo"]().mux(audio, clip=part)
    assert type(cut).__name__ == "VideoFromComponents" and cut.get_components().images.shape[2] == 32


def test_mux_of_a_core_video_from_a_file_copies_that_file(pack, core, comfy, ball_video):
    api = comfy.modules["comfy_api.latest"]
    audio = {"waveform": torch.zeros(1, 1, 16000), "sample_rate": 16000}
    (video,) = pack.NODE_CLASS_MAPPINGS["PAVAS_MuxVideo"]().mux(audio, video=api.InputImpl.VideoFromFile(ball_video))
    assert type(video).__name__ == "VideoFromFile" and video.path != str(ball_video)
    assert core.video.probe_video(video.path).num_frames == core.video.probe_video(ball_video).num_frames


def test_mux_accepts_a_core_video(pack, comfy):
    api = comfy.modules["comfy_api.latest"]
    source = api.InputImpl.VideoFromComponents(api.Types.VideoComponents(
        images=torch.rand(12, 8, 8, 3), frame_rate=Fraction(12), audio=None))
    audio = {"waveform": torch.zeros(1, 2, 100), "sample_rate": 48000}
    (video,) = pack.NODE_CLASS_MAPPINGS["PAVAS_MuxVideo"]().mux(audio, video=source)
    c = video.get_components()
    assert c.images.shape[0] == 12 and c.audio["waveform"].shape == (1, 2, 48000)  # padded to 1 s


@pytest.mark.parametrize("kwargs, message", [
    ({"audio": {"waveform": torch.zeros(1, 1, 10), "sample_rate": 8000}}, "connect a `video` or a `clip`"),
    ({"audio": "loud", "clip": None}, "expected AUDIO"),
    ({"audio": {"waveform": torch.full((1, 1, 10), float("inf")), "sample_rate": 8000}}, "NaN or infinite"),
    ({"audio": {"waveform": torch.zeros(1, 1, 10), "sample_rate": 8000}, "clip": "clip"}, "expected PAVAS_CLIP"),
])
def test_mux_bad_inputs_get_clear_messages(pack, core, kwargs, message):
    with pytest.raises(core.errors.BadInputError, match=message):
        pack.NODE_CLASS_MAPPINGS["PAVAS_MuxVideo"]().mux(**kwargs)


def test_mux_can_keep_the_sound_of_a_core_video(pack, comfy):
    """keep_original_audio: the in-memory video's own stereo sound stays, the new sound goes into both
    fronts at -3 dB, the original at the gain asked."""
    api = comfy.modules["comfy_api.latest"]
    t = torch.arange(48000) / 48000
    own = torch.stack([0.2 * torch.sin(2 * np.pi * 300 * t), 0.2 * torch.sin(2 * np.pi * 410 * t)])[None]
    source = api.InputImpl.VideoFromComponents(api.Types.VideoComponents(
        images=torch.rand(12, 8, 8, 3), frame_rate=Fraction(12), audio={"waveform": own, "sample_rate": 48000}))
    new = {"waveform": torch.full((1, 1, 48000), 0.1), "sample_rate": 48000}
    node = pack.NODE_CLASS_MAPPINGS["PAVAS_MuxVideo"]()
    (video,) = node.mux(new, video=source, keep_original_audio=True, original_gain_db=-6.0)
    got = video.get_components().audio
    assert got["sample_rate"] == 48000 and tuple(got["waveform"].shape) == (1, 2, 48000)
    expected = own * 10 ** (-6 / 20) + 0.1 * 10 ** (-3 / 20)
    np.testing.assert_allclose(got["waveform"].numpy(), expected.numpy(), atol=1e-5)
    (replaced,) = node.mux(new, video=source)  # the default replaces the sound, as before
    assert tuple(replaced.get_components().audio["waveform"].shape) == (1, 1, 48000)


def test_mux_can_keep_the_sound_of_a_loaded_file(pack, core, comfy, ball_video):
    _, _, _, clip = load_node(pack).load("ball.mp4", max_side=32, force_fps=0.0, start_s=0.0, max_duration_s=0.0)
    new = {"waveform": 0.3 * torch.sin(torch.arange(16000 * 2) * (2 * np.pi * 1500 / 16000)).reshape(1, 1, -1),
           "sample_rate": 16000}
    (video,) = pack.NODE_CLASS_MAPPINGS["PAVAS_MuxVideo"]().mux(new, clip=clip, keep_original_audio=True)
    assert type(video).__name__ == "VideoFromFile"
    own, mixed = core.video.read_audio(ball_video), core.video.read_audio(video.path)
    assert mixed.sample_rate_hz == own.sample_rate_hz and mixed.waveform.shape[0] == own.waveform.shape[0]
    spectrum = np.abs(np.fft.rfft(mixed.waveform[0]))
    freqs = np.fft.rfftfreq(mixed.waveform.shape[1], 1 / mixed.sample_rate_hz)
    for f in (440.0, 1500.0):  # the file's own tone and the new sound, both there
        band = (freqs > f - 20) & (freqs < f + 20)
        assert spectrum[band].max() > 20 * np.median(spectrum)
