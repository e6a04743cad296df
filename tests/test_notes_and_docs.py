"""One stream for notes (stderr, for `estimate` and `run` alike), and the README's APCC window in
step with the `apcc` verb's defaults."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np
import pytest

from pavas_core import cli
from pavas_core.video import write_video

README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.fixture(scope="module")
def still_video(tmp_path_factory):
    path = tmp_path_factory.mktemp("notes") / "still.mp4"
    write_video(path, np.full((20, 48, 64, 3), 100, np.uint8), 20.0)
    return path


@pytest.mark.parametrize("verb", ["estimate", "run"])
def test_notes_go_to_stderr_and_only_the_summary_to_stdout(verb, still_video, tmp_path, capsys):
    output = tmp_path / ("p.json" if verb == "estimate" else "x.wav")
    extra = [] if verb == "estimate" else ["--quiet"]
    assert cli.main([verb, str(still_video), "-o", str(output), *extra]) == 0
    captured = capsys.readouterr()
    assert "note: no moving object found" in captured.err
    err_lines = [line for line in captured.err.splitlines() if line.strip()]
    assert err_lines and all(line.startswith("note: ") for line in err_lines)
    assert "note:" not in captured.out
    assert len(captured.out.strip().splitlines()) == 1  # the one summary line


def _apcc_defaults() -> argparse.Namespace:
    from pavas_core.metrics import cli as apcc_cli

    parser = argparse.ArgumentParser()
    apcc_cli.add_arguments(parser)
    return parser.parse_args([])


def test_the_readme_apcc_window_matches_the_verbs_defaults():
    text = " ".join(README.read_text().split())
    m = re.search(r"the peak mel power in dB of the (\d+) ms frames, (\d+) ms apart, centred in "
                  r"\[t − (\d+) ms, t \+ (\d+) ms\] around contact, log-mel at (\d+) kHz", text)
    assert m, "README no longer describes the APCC window in the sentence this test reads"
    frame_ms, hop_ms, before_ms, after_ms, rate_khz = (int(v) for v in m.groups())
    gap = re.search(r"an impact with another impact of its clip closer than (\d+) ms is masked", text)
    assert gap, "README no longer states the APCC masking gap"
    d = _apcc_defaults()
    assert d.intensity == "mel_power"
    assert d.analysis_rate == rate_khz * 1000
    assert d.n_fft / d.analysis_rate * 1000 == pytest.approx(frame_ms)
    assert d.hop / d.analysis_rate * 1000 == pytest.approx(hop_ms)
    assert (d.window_start_ms, d.window_end_ms) == pytest.approx((-before_ms, after_ms))
    assert d.min_gap_ms == pytest.approx(int(gap.group(1)))
