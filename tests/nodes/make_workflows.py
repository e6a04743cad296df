"""Developer tool: (re)write workflows/*.json (ComfyUI UI format v0.4) from the specs below.

    python tests/nodes/make_workflows.py

Widget values are given by input name and laid out exactly as the frontend saves them (input
order, the seed's control_after_generate value, the upload button's value); sockets, links,
types and `properties` come from the node classes, so the files cannot drift from the nodes.
The result is a normal saved workflow: editing and re-saving it in ComfyUI is fine too.
tests/nodes/test_workflows.py validates and runs whatever is in workflows/.
"""

from __future__ import annotations

import json
import sys
import tempfile
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
PACK_CNR_ID = "pavas"  # [project] name in pyproject.toml: the Comfy Registry id
PACK_VERSION = "0.1.0"
CORE_VERSION = "0.8.0"
HF = "https://huggingface.co"

MMAUDIO_16K_MODELS = [
    {"name": "mmaudio_small_16k.pth", "url": f"{HF}/hkchengrex/MMAudio/resolve/main/weights/mmaudio_small_16k.pth",
     "directory": "mmaudio"},
    {"name": "v1-16.pth", "url": "https://github.com/hkchengrex/MMAudio/releases/download/v0.1/v1-16.pth",
     "directory": "mmaudio"},
    {"name": "best_netG.pt", "url": "https://github.com/hkchengrex/MMAudio/releases/download/v0.1/best_netG.pt",
     "directory": "mmaudio"},
    {"name": "synchformer_state_dict.pth",
     "url": "https://github.com/hkchengrex/MMAudio/releases/download/v0.1/synchformer_state_dict.pth",
     "directory": "mmaudio"},
    {"name": "apple_DFN5B-CLIP-ViT-H-14-384_fp16.safetensors",
     "url": f"{HF}/Kijai/MMAudio_safetensors/resolve/main/apple_DFN5B-CLIP-ViT-H-14-384_fp16.safetensors",
     "directory": "mmaudio"},
]
DEMO = "pavas_bounce_demo.mp4"
PHY_ADAPTER_FILE = "pavas_phy_adapter_small_16k.safetensors"  # a user-made file (no download)
# the perception models, under the names their publishers give them (folders in models/LLM, a file in models/sam2)
VLM_FOLDER = "Qwen2.5-VL-3B-Instruct"
FLORENCE2_FOLDER = "Florence-2-base"
# a transformers folder (config.json, weights, preprocessor_config.json) in models/depth: whole folders from
# the hub cannot be listed in a workflow's `models` (those are single files), so the Note names it
DEPTH_FOLDER = "Depth-Anything-V2-Metric-Indoor-Small-hf"
SAM2_MODELS = [
    {"name": "sam2.1_hiera_tiny.pt", "url": f"{HF}/facebook/sam2.1-hiera-tiny/resolve/main/sam2.1_hiera_tiny.pt",
     "directory": "sam2"},
]

def video_physics_nodes(estimate_size: tuple[int, int] = (400, 400)) -> list[tuple]:
    """Nodes 1-2 shared by every physics workflow: the demo clip and its estimated physics."""
    return [
        (1, "PAVAS_LoadVideo", (40, 120), {"video": DEMO, "max_side": 512, "force_fps": 0.0, "start_s": 0.0,
                                           "max_duration_s": 0.0}, (320, 520)),
        (2, "PAVAS_EstimatePhysics", (400, 120), {"object_names": "basketball, wooden block", "object_size_m": 0.0,
                                                  "meters_per_px": 0.0, "focal_px": 0.0, "max_objects": 4,
                                                  "discover_backend": "motion", "masks_backend": "motion",
                                                  "geometry_backend": "gravity", "mass_backend": "prior",
                                                  "boxes_backend": "motion", "min_impact_confidence": 0.5}, estimate_size),
    ]


def video_physics_edit_nodes(mass_scale: float) -> list[tuple]:
    """Nodes 1-3 shared by the generator workflows: the demo clip, its estimated physics, an edit of it."""
    return video_physics_nodes() + [
        (3, "PAVAS_EditPhysics", (840, 120), {"object_id": -1, "mass_scale": mass_scale, "mass_kg": 0.0,
                                              "speed_scale": 1.0, "material": "keep"}, (340, 220)),
    ]


# Each workflow: nodes (id, type, pos, widget values by name, size, optional title/models) and
# links (from id, output name, to id, input name); the Note's text, and optionally its size.
WORKFLOWS = {
    "pavas_physics_foley": {
        "models": [],
        "note": ("Weight-free physics Foley (runs on the CPU, no model files).\n\n"
                 "1. Pick a video in 'Load Video (PAVAS)' (the example pavas_bounce_demo.mp4 is always there).\n"
                 "2. Type what the moving objects are in 'Estimate Physics' (e.g. 'basketball').\n"
                 "3. Queue: the video with that sound is saved to output/video; play (or download) the sound itself "
                 "on 'Physics Foley'.\n"
                 "The timeline on 'Estimate Physics' shows speed per object and impacts (circle size = energy lost)."),
        "nodes": video_physics_nodes(estimate_size=(400, 420)) + [
            (3, "PAVAS_PhysicsFoley", (840, 120), {"sample_rate_hz": 44100, "duration_s": 0.0, "seed": 0}, (320, 230)),
            (5, "PAVAS_MuxVideo", (840, 400), {"keep_original_audio": False, "original_gain_db": 0.0}, (320, 80)),
            (6, "SaveVideo", (1200, 120), {"filename_prefix": "video/PAVAS_foley", "format": "auto", "codec": "auto"},
             (400, 420)),
            (7, "PAVAS_PhysicsPreview", (400, 620), {"width": 768, "height": 320}, (400, 520)),
            (8, "PAVAS_APCCScore", (840, 540), {}, (320, 180)),
        ],
        "links": [
            (1, "clip", 2, "clip"), (2, "physics", 3, "physics"),
            (3, "audio", 5, "audio"), (1, "clip", 5, "clip"), (5, "video", 6, "video"),
            (2, "physics", 7, "physics"), (2, "physics", 8, "physics"), (3, "audio", 8, "audio"),
        ],
    },
    "pavas_mmaudio_with_physics_layer": {
        "models": MMAUDIO_16K_MODELS,
        "note": ("MMAudio-compatible generation with a physics Foley layer.\n\n"
                 "Needs the files listed in the workflow (ComfyUI/models/mmaudio). The sampler takes the clip's real "
                 "frame rate and length: the sound is as long as the video (longer clips are generated in 8 s windows "
                 "with cross-fades) and comes out at the model's own sample rate.\n"
                 "'Audio Mix' resamples both sounds to one rate and puts the Foley 6 dB under MMAudio's sound."),
        "nodes": [
            (1, "PAVAS_LoadVideo", (40, 120), {"video": DEMO, "max_side": 512, "force_fps": 0.0, "start_s": 0.0,
                                               "max_duration_s": 0.0}, (320, 520)),
            (2, "PAVAS_MMAudioModelLoader", (40, 700), {"model": "mmaudio_small_16k.pth", "precision": "auto"},
             (360, 110), [MMAUDIO_16K_MODELS[0]]),
            (3, "PAVAS_MMAudioFeatureLoader", (40, 850), {"vae": "v1-16.pth", "vocoder": "best_netG.pt",
                                                          "synchformer": "synchformer_state_dict.pth",
                                                          "clip": MMAUDIO_16K_MODELS[4]["name"], "precision": "auto"},
             (420, 200), MMAUDIO_16K_MODELS[1:]),
            (4, "PAVAS_MMAudioSampler", (520, 560), {"prompt": "a basketball bouncing on a wooden floor, a wooden block falling",
                                                     "negative_prompt": "music, speech", "duration_s": 0.0,
                                                     "steps": 25, "cfg": 4.5, "seed": 0}, (400, 420)),
            (5, "PAVAS_EstimatePhysics", (420, 120), {"object_names": "basketball, wooden block", "object_size_m": 0.0,
                                                      "meters_per_px": 0.0, "focal_px": 0.0, "max_objects": 4,
                                                      "discover_backend": "motion", "masks_backend": "motion",
                                                      "geometry_backend": "gravity", "mass_backend": "prior",
                                                      "boxes_backend": "motion", "min_impact_confidence": 0.5}, (400, 400)),
            (6, "PAVAS_PhysicsFoley", (880, 120), {"sample_rate_hz": 44100, "duration_s": 0.0, "seed": 0}, (320, 230)),
            (7, "PAVAS_AudioMix", (1000, 560), {"gain_a_db": 0.0, "gain_b_db": -6.0, "sample_rate": "highest input",
                                                "length": "longest", "prevent_clipping": True}, (340, 330)),
            (9, "PAVAS_MuxVideo", (1400, 400), {"keep_original_audio": False, "original_gain_db": 0.0}, (320, 80)),
            (10, "SaveVideo", (1760, 400), {"filename_prefix": "video/PAVAS_mmaudio_mix", "format": "auto",
                                            "codec": "auto"}, (400, 420)),
        ],
        "links": [
            (1, "clip", 4, "clip"), (2, "mmaudio_model", 4, "mmaudio_model"),
            (3, "feature_encoders", 4, "feature_encoders"), (1, "clip", 5, "clip"), (5, "physics", 6, "physics"),
            (4, "audio", 7, "audio_a"), (6, "audio", 7, "audio_b"),
            (7, "audio", 9, "audio"), (1, "clip", 9, "clip"), (9, "video", 10, "video"),
        ],
    },
    "pavas_staged_physics": {
        "models": [],
        "note": ("Physics estimation one stage per node (weight-free, runs on the CPU).\n\n"
                 "Moving Objects → Object Masks → Metric Geometry → Object Mass → Assemble Physics gives the same "
                 "physics as 'Estimate Physics'. Each stage's 'backend' picks how it is done; masks from any other "
                 "segmenter can go into 'Object Masks' (its 'masks' input), and its 'mask' output is a plain MASK "
                 "for core nodes (here: a few frames of it are previewed)."),
        "nodes": [
            (1, "PAVAS_LoadVideo", (40, 120), {"video": DEMO, "max_side": 512, "force_fps": 0.0, "start_s": 0.0,
                                               "max_duration_s": 0.0}, (320, 520)),
            (2, "PAVAS_MovingObjects", (400, 100), {"backend": "motion", "object_names": "basketball, wooden block",
                                                    "max_objects": 4, "analysis_max_side": 320}, (360, 200)),
            (3, "PAVAS_ObjectMasks", (400, 400), {"backend": "motion", "mask_object": -1}, (360, 130)),
            (4, "PAVAS_MetricGeometry", (400, 620), {"backend": "gravity", "object_size_m": 0.0, "meters_per_px": 0.0,
                                                     "focal_px": 0.0}, (360, 180)),
            (5, "PAVAS_ObjectMass", (400, 890), {"backend": "prior", "mass_kg": 0.0, "material": "estimate"},
             (360, 150)),
            (6, "PAVAS_AssemblePhysics", (820, 100), {"min_impact_confidence": 0.5}, (400, 380)),
            (7, "PAVAS_PhysicsFoley", (1280, 100), {"sample_rate_hz": 44100, "duration_s": 0.0, "seed": 0}, (320, 230)),
            (8, "PAVAS_MuxVideo", (1660, 100), {"keep_original_audio": False, "original_gain_db": 0.0}, (320, 80)),
            (13, "SaveVideo", (2040, 100), {"filename_prefix": "video/PAVAS_staged", "format": "auto", "codec": "auto"},
             (400, 420)),
            (9, "PAVAS_PhysicsPreview", (820, 560), {"width": 768, "height": 320}, (400, 520)),
            (10, "MaskToImage", (1280, 420), {}, (240, 60)),
            (11, "ImageFromBatch", (1280, 540), {"batch_index": 20, "length": 8}, (260, 110)),
            (12, "PreviewImage", (1600, 420), {}, (400, 300)),
        ],
        "links": [
            (1, "clip", 2, "clip"), (2, "objects", 3, "objects"), (2, "objects", 4, "objects"),
            (3, "masks", 4, "masks"), (2, "objects", 5, "objects"), (4, "geometry", 5, "geometry"),
            (2, "objects", 6, "objects"), (3, "masks", 6, "masks"), (4, "geometry", 6, "geometry"),
            (5, "mass", 6, "mass"), (6, "physics", 7, "physics"), (7, "audio", 8, "audio"), (1, "clip", 8, "clip"),
            (8, "video", 13, "video"),
            (6, "physics", 9, "physics"), (3, "mask", 10, "mask"), (10, "IMAGE", 11, "image"),
            (11, "IMAGE", 12, "images"),
        ],
    },
    "pavas_tiny": {
        "models": [],
        "note": ("PAVAS-tiny: a physics-aware generator trained from scratch on generated impact scenes, shipped with "
                 "the pack (no model files to download; runs on the CPU).\n\n"
                 "'Estimate Physics' measures each moving object's mass and speed; 'Edit Physics' makes the objects "
                 "heavier or faster before the sampler: set mass_scale to 10 or speed_scale to 2 and queue again to "
                 "hear the impacts grow louder. The sound is 16 kHz; 'Physics Foley' stays the pack's default "
                 "sound (see the README's PAVAS-tiny section for how the two compare)."),
        "nodes": [
            *video_physics_edit_nodes(mass_scale=1.0),
            (4, "PAVAS_LoadTinyGenerator", (40, 700), {"checkpoint": "shipped: pavas_tiny.safetensors"}, (360, 90)),
            (5, "PAVAS_TinySampler", (840, 420), {"steps": 25, "cfg": 2.0, "seed": 0}, (340, 200)),
            (6, "PAVAS_MuxVideo", (1240, 420), {"keep_original_audio": False, "original_gain_db": 0.0}, (320, 80)),
            (7, "SaveVideo", (1600, 420), {"filename_prefix": "video/PAVAS_tiny", "format": "auto", "codec": "auto"},
             (400, 420)),
        ],
        "links": [
            (1, "clip", 2, "clip"), (2, "physics", 3, "physics"),
            (4, "tiny_model", 5, "tiny_model"), (1, "clip", 5, "clip"), (3, "physics", 5, "physics"),
            (5, "audio", 6, "audio"), (1, "clip", 6, "clip"), (6, "video", 7, "video"),
        ],
    },
    "pavas_phy_adapter": {
        "models": MMAUDIO_16K_MODELS,
        "note": ("Physics inside the generator: MMAudio steered by a Phy-Adapter.\n\n"
                 "Needs the MMAudio files listed in the workflow (ComfyUI/models/mmaudio) and a Phy-Adapter made for "
                 "that network in ComfyUI/models/pavas: a trained one (python -m pavas_core train ...), or an "
                 "untrained one, which reproduces plain MMAudio exactly:\n"
                 "python -m pavas_core train --init-only --models ComfyUI/models/mmaudio "
                 "--out ComfyUI/models/pavas/" + PHY_ADAPTER_FILE + "\n"
                 "'Edit Physics' makes the objects 3x heavier before the conditioning: change it to hear the "
                 "difference (with a trained adapter)."),
        "nodes": [
            *video_physics_edit_nodes(mass_scale=3.0),
            (4, "PAVAS_MMAudioModelLoader", (40, 700), {"model": "mmaudio_small_16k.pth", "precision": "auto"},
             (360, 110), [MMAUDIO_16K_MODELS[0]]),
            (5, "PAVAS_MMAudioFeatureLoader", (40, 850), {"vae": "v1-16.pth", "vocoder": "best_netG.pt",
                                                          "synchformer": "synchformer_state_dict.pth",
                                                          "clip": MMAUDIO_16K_MODELS[4]["name"], "precision": "auto"},
             (420, 200), MMAUDIO_16K_MODELS[1:]),
            (6, "PAVAS_LoadPhyAdapter", (40, 1090), {"adapter": PHY_ADAPTER_FILE, "precision": "auto"}, (360, 110)),
            (7, "PAVAS_PhyAdapterConditioning", (840, 600), {}, (340, 140)),
            (8, "PAVAS_MMAudioSampler", (1240, 600), {"prompt": "", "negative_prompt": "music, speech",
                                                      "duration_s": 0.0, "steps": 25, "cfg": 4.5, "seed": 0},
             (400, 420)),
            (9, "PAVAS_MuxVideo", (1700, 600), {"keep_original_audio": False, "original_gain_db": 0.0}, (320, 80)),
            (10, "SaveVideo", (2060, 600), {"filename_prefix": "video/PAVAS_phy_adapter", "format": "auto",
                                            "codec": "auto"}, (400, 420)),
        ],
        "links": [
            (1, "clip", 2, "clip"), (2, "physics", 3, "physics"),
            (6, "phy_adapter", 7, "phy_adapter"), (3, "physics", 7, "physics"), (1, "clip", 7, "clip"),
            (4, "mmaudio_model", 7, "mmaudio_model"), (5, "feature_encoders", 7, "feature_encoders"),
            (4, "mmaudio_model", 8, "mmaudio_model"), (5, "feature_encoders", 8, "feature_encoders"),
            (1, "clip", 8, "clip"), (7, "physics_conditioning", 8, "physics_conditioning"),
            (8, "audio", 9, "audio"), (1, "clip", 9, "clip"), (9, "video", 10, "video"),
        ],
    },
    "pavas_perception": {
        "models": SAM2_MODELS,
        "note_size": (760, 330),  # its text names four model folders and the alternatives
        "note": ("Physics from the learned perception models, one stage per node.\n\n"
                 "A VLM names the moving objects (not camera motion) and judges their masses; Florence-2 finds each "
                 "one by name; SAM-2 segments them through the clip; a metric depth model measures each object's "
                 "masked pixels in metres (the camera's own motion is found in the background, so speeds are in the "
                 "world frame); the VLM's masses and the impacts make the physics, and the Foley its sound.\n"
                 f"Needs: models/LLM/{VLM_FOLDER} (or another VLM folder, e.g. Qwen3-VL-2B-Instruct, "
                 "SmolVLM2-2.2B-Instruct), "
                 f"models/LLM/{FLORENCE2_FOLDER} (florence-community/Florence-2-base), "
                 f"models/depth/{DEPTH_FOLDER} (depth-anything/{DEPTH_FOLDER}, or the Outdoor one, or "
                 "apple/DepthPro-hf) - whole folders from the hub - "
                 "and models/sam2/sam2.1_hiera_tiny.pt (listed in this workflow).\n"
                 "Give 'focal_px' on 'Metric Geometry (Depth)' if you know it (else a 60° field of view is assumed). "
                 "Without a depth model: replace it with 'Metric Geometry' (backend gravity, the weight-free ruler: "
                 "metres from free fall or a known size; camera held still). CUT3R ('Load CUT3R' → 'Metric Geometry "
                 "(CUT3R)') plugs in the same way.\n"
                 "Every fallback (an answer that is not JSON, an object Florence-2 or SAM-2 lost, a frame without "
                 "depth) is listed in the physics' warnings and in each value's *_source.\n"
                 "With ComfyUI's own models instead: 'Generate Text' → 'Objects and Mass from Text' "
                 "(ask it 'VLM Physics Question'), 'Run SAM3 Video Track' → 'Object Masks from SAM 3', and "
                 "'Run Depth Anything 3' / 'Run MoGe Inference' → 'Metric Geometry (Depth Anything 3 / MoGe)'."),
        "nodes": [
            (1, "PAVAS_LoadVideo", (40, 120), {"video": DEMO, "max_side": 512, "force_fps": 0.0, "start_s": 0.0,
                                               "max_duration_s": 0.0}, (320, 520)),
            (2, "PAVAS_LoadVLM", (40, 700), {"model": VLM_FOLDER, "precision": "auto", "trust_remote_code": False},
             (340, 130)),
            (3, "PAVAS_ObjectsAndMassVLM", (420, 120), {"object_names": "", "max_objects": 4, "frames": 8,
                                                        "max_answer_tokens": 384, "analysis_max_side": 320},
             (380, 260)),
            (4, "PAVAS_LoadFlorence2", (40, 880), {"model": FLORENCE2_FOLDER, "precision": "auto"}, (340, 110)),
            (5, "PAVAS_DetectObjectsFlorence2", (420, 440), {"task": "<OPEN_VOCABULARY_DETECTION>", "scan_frames": 8},
             (380, 130)),
            (6, "PAVAS_LoadSAM2", (40, 1040), {"model": "sam2.1_hiera_tiny.pt", "image_size": 512, "precision": "auto"},
             (340, 130), SAM2_MODELS),
            (7, "PAVAS_SegmentObjectsSAM2", (420, 620), {"mask_object": -1}, (380, 110)),
            (15, "PAVAS_LoadDepthModel", (40, 1220), {"model": DEPTH_FOLDER, "precision": "fp32"}, (340, 110)),
            (8, "PAVAS_MetricGeometryDepth", (840, 120), {"focal_px": 0.0}, (360, 140)),
            (9, "PAVAS_ObjectMass", (840, 340), {"backend": "vlm", "mass_kg": 0.0, "material": "estimate"},
             (360, 150)),
            (10, "PAVAS_AssemblePhysics", (1240, 120), {"min_impact_confidence": 0.5}, (400, 380)),
            (11, "PAVAS_PhysicsFoley", (1680, 120), {"sample_rate_hz": 44100, "duration_s": 0.0, "seed": 0},
             (320, 230)),
            (12, "PAVAS_MuxVideo", (1680, 400), {"keep_original_audio": False, "original_gain_db": 0.0}, (320, 80)),
            (13, "SaveVideo", (2040, 120), {"filename_prefix": "video/PAVAS_perception", "format": "auto",
                                            "codec": "auto"}, (400, 420)),
            (14, "PAVAS_PhysicsPreview", (1240, 540), {"width": 768, "height": 320}, (400, 520)),
        ],
        "links": [
            (1, "clip", 3, "clip"), (2, "vlm", 3, "vlm"),
            (3, "objects", 5, "objects"), (4, "florence2", 5, "florence2"),
            (3, "objects", 7, "objects"), (6, "sam2", 7, "sam2"), (5, "boxes", 7, "boxes"),
            (3, "objects", 8, "objects"), (7, "masks", 8, "masks"), (15, "depth_model", 8, "depth_model"),
            (3, "objects", 9, "objects"), (8, "geometry", 9, "geometry"),
            (3, "objects", 10, "objects"), (7, "masks", 10, "masks"), (8, "geometry", 10, "geometry"),
            (9, "mass", 10, "mass"), (10, "physics", 11, "physics"), (11, "audio", 12, "audio"),
            (1, "clip", 12, "clip"), (12, "video", 13, "video"), (10, "physics", 14, "physics"),
        ],
    },
    "pavas_core_video_nodes": {
        "models": [],
        "note": ("Adding physics sound to frames from ComfyUI's own video nodes.\n\n"
                 "Replace 'Load Video' + 'Get Video Components' with any node that makes frames (a video model, an "
                 "edit): connect its IMAGE and its frame rate to 'Clip From Frames or Video'. 'Edit Physics' makes "
                 "the object three times heavier; 'Create Video' puts the new sound on the original frames."),
        "nodes": [
            (1, "LoadVideo", (40, 120), {"file": DEMO}, (320, 480)),
            (2, "GetVideoComponents", (400, 120), {}, (280, 110)),
            (3, "PAVAS_ClipFromFrames", (720, 120), {"fps": 30.0}, (320, 160)),
            (4, "PAVAS_EstimatePhysics", (1080, 120), {"object_names": "basketball, wooden block", "object_size_m": 0.0,
                                                       "meters_per_px": 0.0, "focal_px": 0.0, "max_objects": 4,
                                                      "discover_backend": "motion", "masks_backend": "motion",
                                                      "geometry_backend": "gravity", "mass_backend": "prior",
                                                      "boxes_backend": "motion", "min_impact_confidence": 0.5}, (400, 400)),
            (5, "PAVAS_EditPhysics", (1080, 560), {"object_id": -1, "mass_scale": 3.0, "mass_kg": 0.0,
                                                   "speed_scale": 1.0, "material": "keep"}, (400, 560)),
            (6, "PAVAS_PhysicsFoley", (1520, 120), {"sample_rate_hz": 48000, "duration_s": 0.0, "seed": 0}, (320, 230)),
            (7, "CreateVideo", (1520, 400), {"fps": 30.0}, (270, 110)),
            (8, "SaveVideo", (1880, 120), {"filename_prefix": "video/PAVAS_core_video", "format": "auto",
                                           "codec": "auto"}, (400, 420)),
        ],
        "links": [
            (1, "VIDEO", 2, "video"), (2, "images", 3, "images"), (2, "fps", 3, "fps"), (2, "audio", 3, "audio"),
            (3, "clip", 4, "clip"), (4, "physics", 5, "physics"), (5, "physics", 6, "physics"),
            (2, "images", 7, "images"), (2, "fps", 7, "fps"), (6, "audio", 7, "audio"), (7, "VIDEO", 8, "video"),
        ],
    },
}


def output_names(cls) -> list[str]:
    return list(getattr(cls, "RETURN_NAMES", None) or cls.RETURN_TYPES)


def build(name: str, spec: dict, classes: dict, widget_layout) -> dict:
    links_out = []
    nodes = {}
    for entry in spec["nodes"]:
        node_id, kind, pos, values, size = entry[:5]
        models = entry[5] if len(entry) > 5 else None
        cls = classes[kind]
        layout = widget_layout(cls)
        widgets = []
        for name, is_server in layout:
            if name == "control_after_generate":
                widgets.append("fixed")
            elif name == "upload":
                widgets.append("image")
            else:
                widgets.append(values[name])
        core_node = kind in CORE_NODE_TYPES
        properties = {"cnr_id": "comfy-core" if core_node else PACK_CNR_ID,
                      "ver": CORE_VERSION if core_node else PACK_VERSION,
                      "Node name for S&R": kind}
        if models:
            properties["models"] = models
        nodes[node_id] = {
            "id": node_id, "type": kind, "pos": list(pos), "size": list(size), "flags": {}, "order": 0, "mode": 0,
            "inputs": [], "outputs": [
                {"name": name, "type": t, "links": [], "slot_index": i}
                for i, (name, t) in enumerate(zip(output_names(cls), cls.RETURN_TYPES))
            ],
            "properties": properties, "widgets_values": widgets,
        }
    for link_id, (src, out_name, dst, in_name) in enumerate(spec["links"], start=1):
        src_cls = classes[nodes[src]["type"]]
        slot = output_names(src_cls).index(out_name)
        link_type = src_cls.RETURN_TYPES[slot]
        nodes[src]["outputs"][slot]["links"].append(link_id)
        links_out.append([link_id, src, slot, dst, in_name, link_type])
    # socket inputs (and widget inputs driven by a link) in input order, like a frontend save
    for node in nodes.values():
        spec_inputs = classes[node["type"]].INPUT_TYPES()
        linked = {link[4]: link for link in links_out if link[3] == node["id"]}
        for section in ("required", "optional"):
            for name, value in spec_inputs.get(section, {}).items():
                is_widget = isinstance(value[0], list) or value[0] in ("INT", "FLOAT", "STRING", "BOOLEAN")
                if is_widget and name not in linked:
                    continue
                slot = {"name": name, "type": "COMBO" if isinstance(value[0], list) else value[0],
                        "link": linked[name][0] if name in linked else None}
                if section == "optional":
                    slot["shape"] = 7
                if is_widget:
                    slot["widget"] = {"name": name}
                node["inputs"].append(slot)
    for link in links_out:  # the saved link's target slot is the index in the node's inputs
        link[4] = next(i for i, s in enumerate(nodes[link[3]]["inputs"]) if s["name"] == link[4])
    order = topological(nodes, links_out)
    for rank, node_id in enumerate(order):
        nodes[node_id]["order"] = rank
    all_nodes = list(nodes.values())
    note_id = max(nodes) + 1
    note_w, note_h = spec.get("note_size", (560, 240))
    all_nodes.append({
        "id": note_id, "type": "Note", "pos": [40, 80 - note_h], "size": [note_w, note_h], "flags": {},
        "order": len(order),
        "mode": 0, "inputs": [], "outputs": [], "properties": {}, "widgets_values": [spec["note"]],
        "color": "#432", "bgcolor": "#653",
    })
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"pavas/workflows/{name}")),
        "revision": 0,
        "last_node_id": note_id,
        "last_link_id": len(links_out),
        "nodes": all_nodes,
        "links": links_out,
        "groups": [],
        "config": {},
        "extra": {"ds": {"scale": 0.6, "offset": [100, 260]}, "frontendVersion": "1.35.9"},
        "models": spec["models"],
        "version": 0.4,
    }


def topological(nodes: dict, links: list) -> list[int]:
    deps = {n: {l[1] for l in links if l[3] == n} for n in nodes}
    order: list[int] = []
    while len(order) < len(nodes):
        ready = sorted(n for n, d in deps.items() if n not in order and d <= set(order))
        order.extend(ready)
    return order


# Core nodes that exist, not deprecated, in ComfyUI 0.8 and in the current release. Not SaveAudio:
# 0.25 deprecates Save Audio (FLAC/MP3/Opus) for Save Audio (Advanced), which 0.8 lacks. The sound
# nodes preview their audio themselves, and SaveVideo keeps the sound with the picture.
CORE_NODE_TYPES = {"LoadVideo", "GetVideoComponents", "CreateVideo", "SaveVideo", "MaskToImage", "ImageFromBatch",
                   "PreviewImage"}


def main() -> int:
    sys.path.insert(0, str(HERE))
    import pavas_comfy_fakes
    from conftest import import_pack
    from pavas_workflow_runner import widget_layout

    fake = pavas_comfy_fakes.install(Path(tempfile.mkdtemp(prefix="pavas_make_workflows_")))
    (fake.input_dir / DEMO).write_bytes(b"")  # only the name is needed for the combo
    pack = import_pack()
    classes = {**pack.NODE_CLASS_MAPPINGS, **pavas_comfy_fakes.CORE_NODES}
    out_dir = REPO / "workflows"
    out_dir.mkdir(exist_ok=True)
    for name, spec in WORKFLOWS.items():
        path = out_dir / f"{name}.json"
        path.write_text(json.dumps(build(name, spec, classes, widget_layout), indent=2) + "\n")
        print(f"wrote {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
