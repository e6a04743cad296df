"""Memory is bounded by what an input really holds, not by what it claims (pavas_core.limits)."""

import struct
import tracemalloc
from fractions import Fraction

import av
import numpy as np
import pytest

from pavas_core.errors import BadInputError


def _video(path, pts_ms, size=(32, 24)):
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=30, options={"preset": "ultrafast"})
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        stream.codec_context.time_base = Fraction(1, 1000)
        for i, pts in enumerate(pts_ms):
            frame = av.VideoFrame.from_ndarray(np.full((size[1], size[0], 3), (40 * i) % 256, np.uint8), format="rgb24")
            frame.pts, frame.time_base = pts, Fraction(1, 1000)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def _peak_mb(function):
    tracemalloc.start()
    try:
        function()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak / 1024**2


def test_a_clip_whose_last_frame_is_stamped_hours_later_is_refused_without_allocating(tmp_path):
    from pavas_core.video import read_video

    path = _video(tmp_path / "late.mp4", [0, 33, 36_000_000])  # 1.7 KB; the last frame at 10 h
    with pytest.raises(BadInputError, match="apart") as excinfo:
        read_video(path)  # at the file's own timing: the clip (and the sound made for it) would last 10 h
    assert "\n" not in str(excinfo.value)

    def read_resampled():
        with pytest.raises(BadInputError, match="apart"):
            read_video(path, target_fps=30.0)

    assert _peak_mb(read_resampled) < 128  # (the first frame buffer is at most 64 MiB, whatever the header says)
    sparse = _video(tmp_path / "sparse.mp4", [37_300 * k for k in range(12)])
    with pytest.raises(BadInputError, match="apart"):
        read_video(sparse)


def test_audio_claiming_two_gigahertz_is_refused(tmp_path):
    from pavas_core.comfy_types import audio_to_track
    from pavas_core.video import read_audio

    data = np.zeros(1000, "<i2").tobytes()
    rate = 2_000_000_000
    header = (b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt "
              + struct.pack("<IHHIIHH", 16, 1, 1, rate, (2 * rate) % 2**32, 2, 16) + b"data" + struct.pack("<I", len(data)))
    (tmp_path / "fast.wav").write_bytes(header + data)
    with pytest.raises(BadInputError, match="2000000000 Hz"):
        read_audio(tmp_path / "fast.wav")
    import torch

    with pytest.raises(BadInputError, match="Hz"):
        audio_to_track({"waveform": torch.zeros(1, 1, 10), "sample_rate": 10**9})


def test_apcc_finds_masked_impacts_in_linear_memory():
    from pavas_core.metrics.apcc import _masked

    rng = np.random.default_rng(0)
    small = np.round(rng.uniform(0, 5, 300), 3)
    gaps = np.abs(small[:, None] - small[None, :])
    np.fill_diagonal(gaps, np.inf)
    assert np.array_equal(_masked(small, 0.05), gaps.min(axis=1) < 0.05)  # same answer as all pairs
    many = rng.uniform(0, 3600, 1_000_000)  # all pairs would be 7 TiB
    assert _peak_mb(lambda: _masked(many, 0.1)) < 64


def test_sizes_rates_durations_and_counts_have_limits():
    from pavas_core.limits import MAX_IMPACTS, check_duration_s, check_picture_size, check_sample_rate_hz
    from pavas_core.physics.timeline import render_timeline_image
    from pavas_core.physics.tracks import Geometry, Impact, ObjectTrack, PhysicsTracks

    def tracks(num_impacts=1, fps=30.0):
        impacts = [Impact(frame=0, time_s=0.0, v_before=2.0, v_after=1.0, delta_ke_j=0.75)] * num_impacts
        obj = ObjectTrack(id=0, name="ball", action="x", mass_kg=0.5, mass_source="prior", speed_mps=[1.0] * 3,
                          centroid_m=[[0.0, 0.0, 1.0]] * 3, impacts=impacts)
        return PhysicsTracks(fps=fps, num_frames=3, width=32, height=24, objects=[obj],
                             geometry=Geometry(backend="pinhole", metric_scale_source="gravity"))

    with pytest.raises(BadInputError, match="limit"):
        render_timeline_image(tracks().validate(), width_px=20000, height_px=20000)
    with pytest.raises(BadInputError, match="impacts"):
        tracks(num_impacts=MAX_IMPACTS + 1).validate()
    with pytest.raises(BadInputError, match="limit"):
        tracks(fps=1e-300).validate()
    with pytest.raises(BadInputError):
        check_sample_rate_hz(float("nan"))
    with pytest.raises(BadInputError):
        check_duration_s(1e9)
    assert check_picture_size(3840, 2160) == (3840, 2160)
