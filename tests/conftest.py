"""Helper modules beside this file (tests/ has no __init__.py) are imported by name, e.g. `tolerances`."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def tiny_perception_dir(tmp_path_factory):
    """Tiny random-weight VLM, Florence-2, SAM-2 and metric depth model under their released names (written
    once per run): <dir>/LLM/Qwen2.5-VL-3B-Instruct, <dir>/LLM/Florence-2-base, <dir>/sam2/sam2.1_hiera_tiny.pt,
    <dir>/depth/Depth-Anything-V2-Metric-Indoor-Small-hf."""
    from pavas_core.perception.tiny_models import write_tiny_perception_set

    root = tmp_path_factory.mktemp("tiny_perception")
    write_tiny_perception_set(root)
    return root
