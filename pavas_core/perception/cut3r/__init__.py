"""CUT3R (continuous 3D perception with a persistent state): our inference implementation.

    model = load_cut3r("cut3r_512_dpt_4_64.pth")          # strict, weights_only loading
    frames = run_frames(model, frames_uint8, size=512)      # streaming, one frame at a time

The weights (user-supplied) are CC BY-NC-SA 4.0: non-commercial use only.
"""

from .checkpoint import WEIGHTS_LICENCE, load_cut3r, load_state, random_cut3r, random_state_dict, save_safetensors
from .config import FULL_512_DPT, MICRO, TINY, Cut3rConfig
from .model import Cut3r, Cut3rFrame, Cut3rState, pose_to_matrix

__all__ = ["Cut3r", "Cut3rConfig", "Cut3rFrame", "Cut3rState", "FULL_512_DPT", "MICRO", "TINY", "WEIGHTS_LICENCE",
           "load_cut3r", "load_state", "pose_to_matrix", "random_cut3r", "random_state_dict", "save_safetensors"]
