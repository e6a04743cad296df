"""PAVAS — physics-aware video-to-audio synthesis (library and CLI under the ComfyUI pack).

Importing this package is cheap on purpose: nothing here imports torch. The weight-free path
(video I/O, physics estimation, modal synthesis, APCC) runs on numpy/PyAV alone; the learned path
(`pavas_core.models`) imports torch when it is used.
"""

__version__ = "0.1.0"
