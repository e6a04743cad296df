"""The web extension: plain ES modules that load from wherever the pack is installed."""

from __future__ import annotations

import posixpath
import re
import shutil
import subprocess
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parents[2] / "web"
JS_FILES = sorted(WEB.rglob("*.js"))
IMPORT = re.compile(r"""^\s*import\s[^'"]*['"]([^'"]+)['"]""", re.M)


def served_url(path: Path, pack_folder: str) -> str:
    """The URL ComfyUI serves a WEB_DIRECTORY file at: /extensions/<pack folder>/<path in web/>."""
    return f"/extensions/{pack_folder}/{path.relative_to(WEB).as_posix()}"


def test_there_is_one_small_module_per_widget():
    names = {p.name for p in JS_FILES}
    assert {"pavas_timeline.js", "pavas_audio_player.js", "pavas_physics_editor.js"} <= names
    for path in JS_FILES:
        assert len(path.read_text().splitlines()) < 250, f"{path.name} is growing into a giant file"


@pytest.mark.parametrize("pack_folder", ["comfyui-pavas", "ComfyUI-PAVAS", "main"])
def test_imports_resolve_to_the_app_and_to_pack_files_whatever_the_folder_name(pack_folder):
    for path in JS_FILES:
        base = posixpath.dirname(served_url(path, pack_folder))
        for spec in IMPORT.findall(path.read_text()):
            assert spec.startswith("."), f"{path.name}: bare import {spec!r} cannot load in the browser"
            url = posixpath.normpath(posixpath.join(base, spec))
            if url.startswith("/scripts/"):
                assert url in ("/scripts/app.js", "/scripts/api.js"), f"{path.name}: {spec} → {url}"
            else:
                prefix = f"/extensions/{pack_folder}/"
                assert url.startswith(prefix) and (WEB / url[len(prefix):]).is_file(), f"{path.name}: {spec} → {url}"


def test_no_pack_folder_name_and_nothing_from_the_internet_is_hard_coded():
    for path in JS_FILES:
        text = path.read_text()
        assert "/extensions/" not in text, path.name
        assert not re.search(r"https?://", text), path.name


def test_each_extension_has_a_unique_name_and_targets_real_nodes(pack):
    names = []
    for path in JS_FILES:
        text = path.read_text()
        names += re.findall(r'registerExtension\(\{\s*name:\s*"([^"]+)"', text)
        for node_id in re.findall(r'"(PAVAS_[A-Za-z]+)"', text):
            assert node_id in pack.NODE_CLASS_MAPPINGS, f"{path.name} names unknown node {node_id}"
    assert len(names) == len(set(names)) >= 4
    assert all(n.startswith("PAVAS.") for n in names)


def test_widgets_the_editor_sets_exist_on_the_edit_node(pack):
    text = (WEB / "js" / "pavas_physics_editor.js").read_text()
    inputs = pack.NODE_CLASS_MAPPINGS["PAVAS_EditPhysics"].INPUT_TYPES()["required"]
    for name in set(re.findall(r'"(mass_scale|speed_scale|mass_kg|material|object_id)"', text)):
        assert name in inputs


def test_player_widget_is_named_like_the_core_audio_widget():
    # ComfyUI's own audio extension points the widget called "audioUI" of any node whose output has
    # "audio" at the new file (and fails on nodes without one), so ours must use that name.
    assert '"audioUI"' in (WEB / "js" / "pavas_audio_player.js").read_text()


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_modules_parse_as_es_modules(tmp_path):
    for path in JS_FILES:
        copy = tmp_path / (path.stem + ".mjs")
        copy.write_text(path.read_text())
        out = subprocess.run(["node", "--check", str(copy)], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, f"{path.name}: {out.stderr}"
