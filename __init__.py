"""PAVAS for ComfyUI: physics-aware sound for video (custom-node pack entry point).

ComfyUI imports this file and reads NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS and
WEB_DIRECTORY. It also imports cleanly without ComfyUI (tests, tools): everything that needs
ComfyUI's modules is imported lazily or guarded.
"""

from .nodes import NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS
from .nodes.model_folders import register_model_folders
from .nodes.video_nodes import install_example_videos

WEB_DIRECTORY = "./web"

register_model_folders()  # models/mmaudio, models/pavas, ... with weight-file filtering
install_example_videos()  # the example video, so workflows and previews find it in input/

__all__ = ["NODE_CLASS_MAPPINGS", "NODE_DISPLAY_NAME_MAPPINGS", "WEB_DIRECTORY"]
