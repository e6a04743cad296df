"""Bad input files end in one clear BadInputError naming the file, from every reader."""

from __future__ import annotations

import numpy as np
import pytest

from pavas_core.errors import BadInputError
from pavas_core.video import AudioTrack, mux_audio, probe_video, read_audio, read_video

SILENCE = AudioTrack(np.zeros((1, 4800), np.float32), 48000)
READERS = {
    "read_video": read_video,
    "probe_video": probe_video,
    "mux_audio": lambda path: mux_audio(path, SILENCE, path.parent / "never_written.mp4"),
}


@pytest.fixture(params=sorted(READERS))
def reader(request):
    return READERS[request.param]


def assert_one_line_error(excinfo, *fragments):
    message = str(excinfo.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message


def test_a_missing_path_is_reported_as_not_found(reader, media):
    with pytest.raises(BadInputError) as excinfo:
        reader(media.folder / "nowhere.mp4")
    assert_one_line_error(excinfo, "not found", "nowhere.mp4")


def test_a_directory_is_not_a_media_file(reader, media):
    with pytest.raises(BadInputError) as excinfo:
        reader(media.folder)
    assert_one_line_error(excinfo, "is a directory")


def test_an_empty_file_is_reported_as_empty(reader, media):
    with pytest.raises(BadInputError) as excinfo:
        reader(media.empty)
    assert_one_line_error(excinfo, "empty.mp4", "empty (0 bytes)")


@pytest.mark.parametrize("name", ["corrupt", "truncated_mp4"])
def test_corrupt_files_are_rejected_with_their_name(reader, media, name):
    path = getattr(media, name)
    with pytest.raises(BadInputError) as excinfo:
        reader(path)
    assert_one_line_error(excinfo, path.name)
    # The FFmpeg error is chained for debugging, not shown as the message type.
    assert type(excinfo.value) is BadInputError


def test_an_audio_only_file_has_no_video_stream(reader, media):
    with pytest.raises(BadInputError) as excinfo:
        reader(media.audio_only_m4a)
    assert_one_line_error(excinfo, "tone.m4a", "has no video stream")


@pytest.mark.parametrize("name", ["zero_frame_avi", "zero_frame_mkv"])
def test_a_video_stream_without_pictures_is_rejected(reader, media, name):
    path = getattr(media, name)
    if reader is probe_video and name == "zero_frame_avi":
        # Probing reads headers only: it cannot see the missing pictures, and does not guess.
        assert probe_video(path).num_frames is None
        return
    with pytest.raises(BadInputError) as excinfo:
        reader(path)
    assert_one_line_error(excinfo, path.name)


def test_zero_frame_video_says_there_are_no_frames(media):
    with pytest.raises(BadInputError, match="zero_frames.avi has a video stream but no decodable frames"):
        read_video(media.zero_frame_avi)


def test_a_file_that_ends_too_early_says_so(media):
    with pytest.raises(BadInputError, match="zero_frames.mkv: the file ends before its content does"):
        read_video(media.zero_frame_mkv)


def test_read_audio_reports_a_video_without_sound(media):
    with pytest.raises(BadInputError, match="square.mov has no audio stream"):
        read_audio(media.mov)


@pytest.mark.parametrize("name", ["missing", "empty", "corrupt"])
def test_read_audio_rejects_bad_files_too(media, name):
    path = media.folder / "missing.wav" if name == "missing" else getattr(media, name)
    with pytest.raises(BadInputError):
        read_audio(path)


# --- class 1 of the hostile-input issue: no network from files or paths ---------------------------

def test_ffmpeg_opens_url_like_and_colon_names_as_local_files(tmp_path, monkeypatch, kit):
    """A relative name like http:127.0.0.1:PORT/clip.mp4 is a local file, never a request to PORT,
    and a plain file called take2:final.mp4 opens (FFmpeg used to say "Protocol not found")."""
    import socket
    import threading

    import av

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    port = server.getsockname()[1]
    connections = []

    def serve():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            connections.append(1)
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    monkeypatch.chdir(tmp_path)
    (tmp_path / f"http:127.0.0.1:{port}").mkdir()
    url_like = kit.encode_media(tmp_path / f"http:127.0.0.1:{port}" / "clip.mp4", num_frames=6)
    colon = kit.encode_media(tmp_path / "take2:final.mp4", num_frames=6)
    opened = []
    real_open = av.open
    monkeypatch.setattr(av, "open", lambda url, *a, **k: opened.append(str(url)) or real_open(url, *a, **k))
    try:
        for name in (f"http:127.0.0.1:{port}/clip.mp4", "take2:final.mp4"):
            clip = read_video(name)
            assert clip.num_frames == 6
            mux_audio(name, SILENCE, f"{name}.muxed.mp4")
        assert read_video(url_like).num_frames == read_video(colon).num_frames == 6
    finally:
        server.close()
    assert connections == []
    assert opened and all(url.startswith("file:/") for url in opened)  # every FFmpeg open is a local file URL
