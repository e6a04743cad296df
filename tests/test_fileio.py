import json
import os
import stat
import subprocess
import sys
import threading
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from pavas_core.cli import main as cli_main
from pavas_core.errors import BadInputError
from pavas_core.fileio import atomic_output


def test_atomic_output_commits_the_file_only_on_success(tmp_path):
    target = tmp_path / "sub" / "out.wav"
    with atomic_output(target) as tmp:
        assert tmp.suffix == ".wav" and tmp.parent == target.parent
        tmp.write_bytes(b"abc")
        assert not target.exists()
    assert target.read_bytes() == b"abc"
    assert list(target.parent.iterdir()) == [target]


def test_atomic_output_leaves_nothing_behind_on_failure(tmp_path):
    target = tmp_path / "out.wav"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_output(target) as tmp:
            tmp.write_bytes(b"partial")
            raise RuntimeError("boom")
    assert target.read_bytes() == b"old"  # the previous file is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.wav"]


def test_atomic_output_gives_the_file_ordinary_permissions(tmp_path):
    import os
    import stat

    target = tmp_path / "out.wav"
    with atomic_output(target) as tmp:
        tmp.write_bytes(b"x")
    mask = os.umask(0o022)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask


# --- class 3 of the hostile-input issue: outputs never destroy inputs or special files -------------

ROOT = Path(__file__).resolve().parents[1]


def _moving_square(path, frames=12, size=(48, 32)):
    import av

    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=12, options={"preset": "ultrafast"})
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        for i in range(frames):
            picture = np.zeros((size[1], size[0], 3), np.uint8)
            picture[8:16, 2 + 3 * i: 10 + 3 * i] = 255
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, 12)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def _physics_and_sound(folder):
    from pavas_core.video import AudioTrack, write_wav

    doc = {"schema": 1, "fps": 30.0, "num_frames": 30, "width": 48, "height": 32,
           "objects": [{"id": 0, "name": "ball", "action": "x", "mass_kg": 0.5, "mass_source": "prior",
                        "speed_mps": [1.0] * 30, "centroid_m": [[0.0, 0.0, 1.0]] * 30, "material": "rubber",
                        "impacts": [{"frame": 9, "time_s": 0.3, "v_before": 2.0, "v_after": 1.0, "delta_ke_j": 0.75}]}],
           "geometry": {"backend": "pinhole", "metric_scale_source": "gravity"}}
    (folder / "p.json").write_text(json.dumps(doc))
    write_wav(folder / "a.wav", AudioTrack(np.zeros((1, 16000), np.float32), 16000))
    return folder / "p.json", folder / "a.wav"


def test_an_output_that_names_an_input_is_refused_and_the_input_kept(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    video = _moving_square(tmp_path / "clip.mp4")
    os.link(video, tmp_path / "same_clip.mp4")
    os.symlink("clip.mp4", tmp_path / "link_to_clip.mp4")
    physics, sound = _physics_and_sound(tmp_path)
    kept = {p: p.read_bytes() for p in (video, physics, sound)}
    for argv in (["estimate", "clip.mp4", "-o", "clip.mp4"],
                 ["estimate", "clip.mp4", "-o", "./clip.mp4"],
                 ["run", "clip.mp4", "-o", "a2.wav", "--mux", "same_clip.mp4"],
                 ["run", "clip.mp4", "-o", "a2.wav", "--physics", "link_to_clip.mp4"],
                 ["apcc", "--physics", "p.json", "--audio", "a.wav", "--json", "p.json"],
                 ["apcc", "--physics", "p.json", "--audio", "a.wav", "--json", "a.wav"],
                 ["run", "clip.mp4", "-o", "a2.wav", "--physics", "./a2.wav"]):  # two outputs on one path
        assert cli_main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.count("error:") == 1 and ("is the input" in err or "same file" in err), err
    assert {p: p.read_bytes() for p in kept} == kept
    assert not (tmp_path / "a2.wav").exists()


def test_devices_fifos_and_links_are_written_into_never_replaced(tmp_path):
    from pavas_core.fileio import OutputSet

    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    os.symlink("/dev/null", tmp_path / "null.wav")
    received = []
    reader = threading.Thread(target=lambda: received.append(open(fifo, "rb").read()), daemon=True)
    reader.start()
    with OutputSet() as outputs:
        outputs.add(fifo, "FIFO output").write_bytes(b'{"ok": 1}')
        outputs.add(tmp_path / "null.wav", "null output").write_bytes(b"RIFF")
    reader.join(5)
    assert received == [b'{"ok": 1}']
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert os.readlink(tmp_path / "null.wav") == "/dev/null" and stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["null.wav", "pipe.json"]


def test_estimate_can_write_to_its_standard_output_a_pipe_or_a_redirected_file(tmp_path):
    # /proc/self/fd/1 is /dev/stdout's target; named directly, a faulty version can only fail here
    # (it cannot create files in /proc), never replace the machine's /dev/stdout link.
    video = _moving_square(tmp_path / "clip.mp4")
    argv = [sys.executable, "-m", "pavas_core", "estimate", str(video), "-o", "/proc/self/fd/1"]
    r = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("{") and '"schema": 1' in r.stdout and "wrote /proc/self/fd/1" in r.stdout
    with open(tmp_path / "redirected.txt", "w") as handle:
        assert subprocess.run(argv, cwd=ROOT, stdout=handle, stderr=subprocess.PIPE).returncode == 0
    text = (tmp_path / "redirected.txt").read_text()
    assert text.startswith("{") and "wrote /proc/self/fd/1" in text  # the message came after, not over it


# --- class 4: all outputs or none ------------------------------------------------------------------

def test_a_failed_commit_puts_back_every_output(tmp_path):
    from pavas_core.fileio import OutputSet

    (tmp_path / "a.wav").write_bytes(b"old a")
    with pytest.raises(BadInputError, match="b.json"):
        with OutputSet() as outputs:
            outputs.add(tmp_path / "a.wav", "WAV output").write_bytes(b"new a")
            outputs.add(tmp_path / "b.json", "b.json output").write_bytes(b"new b")
            (tmp_path / "b.json" / "y").mkdir(parents=True)  # appears meanwhile: b cannot be renamed there
    assert (tmp_path / "a.wav").read_bytes() == b"old a"  # the committed a was put back
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.wav", "b.json"]


def test_outputs_on_a_full_disk_or_read_only_place_are_one_line_errors(tmp_path, capsys):
    video = _moving_square(tmp_path / "clip.mp4")
    os.symlink("/dev/full", tmp_path / "full.json")
    for argv in (["estimate", str(video), "-o", str(tmp_path / "full.json")],
                 ["run", str(video), "-o", str(tmp_path / "a.wav"), "--physics", "/sys/pavas_test.json"]):
        assert cli_main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("error: cannot write") and "\n" not in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4", "full.json"]
