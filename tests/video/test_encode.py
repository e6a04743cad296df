"""write_video: H.264 yuv420p at a constant rate, optional AAC, atomic."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

from pavas_core.errors import BadInputError
from pavas_core.video import AudioTrack, probe_video, read_video, write_video
from pavas_core.video import encode as encode_module


def square_stack(kit, count: int, width: int | None = None, height: int | None = None) -> np.ndarray:
    return np.stack([kit.square_frame(k, width or kit.WIDTH, height or kit.HEIGHT) for k in range(count)])


def test_frames_come_back_in_order_at_the_given_rate(tmp_path, kit):
    frames = square_stack(kit, 24)
    path = tmp_path / "out.mp4"
    write_video(path, frames, 24.0)
    clip = read_video(path)
    assert clip.frames.shape == frames.shape
    assert kit.indices_of(clip) == list(range(24))
    np.testing.assert_allclose(clip.timestamps_s, np.arange(24) / 24, atol=1e-6)
    assert clip.audio is None
    # crf 20 on flat synthetic pictures: close to the input everywhere.
    assert np.abs(clip.frames.astype(int) - frames).mean() < 3.0
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.name, stream.codec_context.pix_fmt) == ("h264", "yuv420p")


def test_ntsc_rate_is_stored_as_the_exact_fraction(tmp_path, kit):
    path = tmp_path / "ntsc.mp4"
    write_video(path, square_stack(kit, 5), 30000 / 1001)
    with av.open(str(path)) as container:
        assert container.streams.video[0].average_rate == Fraction(30000, 1001)
    assert probe_video(path).fps == pytest.approx(30000 / 1001, rel=1e-6)


def test_odd_sizes_are_padded_to_even_without_moving_the_picture(tmp_path, kit):
    frames = square_stack(kit, 6, width=63, height=47)
    path = tmp_path / "odd.mp4"
    write_video(path, frames, 10.0)
    clip = read_video(path)
    assert clip.frames.shape == (6, 48, 64, 3)
    assert np.abs(clip.frames[:, :47, :63].astype(int) - frames).mean() < 3.0


def test_float_frames_in_unit_range_are_accepted(tmp_path, kit):
    frames = square_stack(kit, 4).astype(np.float32) / 255.0
    write_video(tmp_path / "float.mp4", frames, 8.0)
    assert kit.indices_of(read_video(tmp_path / "float.mp4")) == [0, 1, 2, 3]


def test_audio_is_written_as_aac_at_its_rate(tmp_path, kit):
    audio = AudioTrack(kit.tone(32000, 0.75, kit.TONE_HZ, onset_s=0.25), 32000)
    path = tmp_path / "with_audio.mov"
    write_video(path, square_stack(kit, 15), 20.0, audio=audio)
    info = probe_video(path)
    assert (info.audio_codec, info.audio_sample_rate_hz, info.audio_channels) == ("aac", 32000, 1)
    clip = read_video(path)
    assert kit.onset_time_s(clip.audio.waveform, 32000) == pytest.approx(0.25, abs=0.005)
    assert kit.dominant_frequency_hz(clip.audio.waveform[:, 10000:], 32000) == pytest.approx(kit.TONE_HZ, abs=3.0)


@pytest.mark.parametrize(
    ("name", "frames", "fps", "crf", "message"),
    [
        ("out.webm", np.zeros((2, 8, 8, 3), np.uint8), 10.0, 20, "unsupported output type .webm"),
        ("out.mp4", np.zeros((2, 8, 8), np.uint8), 10.0, 20, "shape"),
        ("out.mp4", np.zeros((2, 8, 8, 3), np.uint8), 0.0, 20, "fps"),
        ("out.mp4", np.zeros((2, 8, 8, 3), np.uint8), 10.0, 60, "crf"),
    ],
)
def test_unusable_arguments_are_rejected_and_nothing_is_written(tmp_path, name, frames, fps, crf, message):
    with pytest.raises(BadInputError, match=message):
        write_video(tmp_path / name, frames, fps, crf=crf)
    assert list(tmp_path.iterdir()) == []


def test_a_failure_while_encoding_leaves_no_file_and_keeps_the_old_one(tmp_path, kit, monkeypatch):
    path = tmp_path / "keep.mp4"
    path.write_bytes(b"previous result")

    def failing_encode(self, rgb, pts):
        if pts == 3:
            raise RuntimeError("disk full")
        return original(self, rgb, pts)

    original = encode_module.PictureEncoder.encode
    monkeypatch.setattr(encode_module.PictureEncoder, "encode", failing_encode)
    with pytest.raises(RuntimeError, match="disk full"):
        write_video(path, square_stack(kit, 6), 10.0)
    assert path.read_bytes() == b"previous result"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.mp4"]


def test_the_same_frames_always_make_the_same_video(tmp_path):
    """Reproducible outputs: x264's macroblock tree made the same frames into different videos from
    run to run on some processors (AVX-512 code), so a dataset of one seed differed between runs."""
    import hashlib

    from pavas_core.scenes.scene import sample_scene, render_frames, with_overrides
    from pavas_core.video import read_video

    scene = sample_scene(2978270838, scene_id="determinism")  # 480x270, textured room, a glass ball
    frames = render_frames(with_overrides(scene, num_frames=80))
    digests = set()
    for i in range(4):
        path = tmp_path / f"v{i}.mp4"
        write_video(path, frames, scene.fps)
        digests.add(hashlib.sha256(read_video(path, with_audio=False).frames.tobytes()).hexdigest())
    assert len(digests) == 1
