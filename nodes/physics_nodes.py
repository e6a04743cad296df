"""Physics: estimate per-object mass, speed and impacts from a clip; edit them; preview them."""

from __future__ import annotations

from ._common import (
    CATEGORY_PHYSICS,
    PAVAS_CLIP,
    PAVAS_PHYSICS,
    backend_widget,
    expect_clip,
    expect_physics,
    physics_ui,
    save_image_preview,
    split_names,
)

_TIMELINE_HINT = "The timeline above the node shows speed per object over time; circles are impacts sized by ΔKE."


def scale_hint_inputs() -> dict:
    """The metric-scale hints, shared by 'Estimate Physics' and 'Metric Geometry'."""
    return {
        "object_size_m": ("FLOAT", {
            "default": 0.0, "min": 0.0, "max": 100.0, "step": 0.01,
            "tooltip": "Size of the moving object in metres (e.g. 0.24 for a basketball); sets the metric "
                       "scale when gravity cannot. 0 = from the name or from the fall.",
        }),
        "meters_per_px": ("FLOAT", {
            "default": 0.0, "min": 0.0, "max": 10.0, "step": 0.0001,
            "tooltip": "Known metric scale at the object's depth, in metres per pixel of the video file's "
                       "own frames (before any resize on loading). 0 = estimate it.",
        }),
        "focal_px": ("FLOAT", {
            "default": 0.0, "min": 0.0, "max": 100000.0, "step": 1.0,
            "tooltip": "Camera focal length in pixels of the video file's own frames (before any resize "
                       "on loading). 0 = assume a typical field of view.",
        }),
    }


def impact_confidence_input() -> dict:
    """The threshold below which an impact stays silent (the estimator's min_impact_confidence)."""
    from ..pavas_core.physics.gating import DEFAULT_MIN_IMPACT_CONFIDENCE

    return {"min_impact_confidence": ("FLOAT", {
        "default": DEFAULT_MIN_IMPACT_CONFIDENCE, "min": 0.0, "max": 1.0, "step": 0.05,
        "tooltip": "Impacts less certain than this (0..1: free fall before the contact, gravity, a supported loss "
                   "of speed) are kept in the physics with sonified false and a reason, and make no sound.",
    })}


def stage_backend_inputs() -> dict:
    """One widget per stage choosing its backend (listed from the stage registry)."""
    from ..pavas_core.physics.stages import STAGE_FLAGS, STAGE_WIDGET_ORDER

    # a stage added later comes last: saved workflows keep their widget values
    return {f"{STAGE_FLAGS[stage]}_backend": backend_widget(stage, f"the {stage} stage is done")
            for stage in STAGE_WIDGET_ORDER}


class PavasEstimatePhysics:
    """Weight-free physics estimation: moving objects, metric speed, mass, impacts."""

    DESCRIPTION = ("Finds the moving objects in the clip and estimates each one's mass, metric speed per frame "
                   "and impacts (with the kinetic energy they lose), without any model files. "
                   "Typing what the objects are improves mass, size and material. " + _TIMELINE_HINT)
    CATEGORY = CATEGORY_PHYSICS
    FUNCTION = "estimate"
    RETURN_TYPES = (PAVAS_PHYSICS, "STRING")
    RETURN_NAMES = ("physics", "physics_json")
    OUTPUT_TOOLTIPS = (
        "Per-object mass, speed and impacts for the Foley, MMAudio and APCC nodes.",
        "The same as physics.json (schema 1), e.g. to save with a text node.",
    )

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "clip": (PAVAS_CLIP, {"tooltip": "The clip from 'Load Video (PAVAS)' or 'Clip From Frames or Video'."}),
                "object_names": ("STRING", {
                    "default": "", "multiline": False,
                    "tooltip": "What the moving objects are, comma separated (e.g. 'basketball, wooden box'), one "
                               "name per object in order of first appearance (an object seen again keeps its name; "
                               "objects beyond the names stay generic). Sets the mass, size and material priors; "
                               "leave empty to guess from motion.",
                }),
                **scale_hint_inputs(),
                "max_objects": ("INT", {
                    "default": 4, "min": 1, "max": 16,
                    "tooltip": "Track at most this many moving objects (the ones that moved most; under a "
                               "moving camera, the most physical impacts first).",
                }),
            },
            # optional, after the original widgets: workflows and API prompts saved before still run
            "optional": {**stage_backend_inputs(), **impact_confidence_input()},
        }

    def estimate(self, clip, object_names, object_size_m, meters_per_px, focal_px, max_objects,
                 discover_backend="motion", masks_backend="motion", geometry_backend="gravity", mass_backend="prior",
                 boxes_backend="motion", min_impact_confidence=None):
        from ..pavas_core.physics.gating import DEFAULT_MIN_IMPACT_CONFIDENCE
        from ..pavas_core.physics.estimate import EstimateOptions, estimate_physics
        from ._comfy import progress_callback

        options = EstimateOptions(
            object_names=split_names(object_names),
            object_size_m=float(object_size_m) or None,
            meters_per_px=float(meters_per_px) or None,
            focal_px=float(focal_px) or None,
            max_objects=int(max_objects),
            discover=discover_backend, boxes=boxes_backend, masks=masks_backend, geometry=geometry_backend,
            mass=mass_backend,
            min_impact_confidence=float(DEFAULT_MIN_IMPACT_CONFIDENCE if min_impact_confidence is None
                                        else min_impact_confidence),
        )
        tracks = estimate_physics(expect_clip(clip), options=options, progress=progress_callback())
        return {"ui": physics_ui(tracks), "result": (tracks, tracks.to_json())}


class PavasEditPhysics:
    """Change the mass, speed or material of one object (or all): "make it heavier"."""

    DESCRIPTION = ("Scales or overrides an object's mass and speed, or changes its material, and recomputes the "
                   "impact energies. object_id -1 edits every object. After a run the panel lists the objects.")
    CATEGORY = CATEGORY_PHYSICS
    FUNCTION = "edit"
    RETURN_TYPES = (PAVAS_PHYSICS,)
    RETURN_NAMES = ("physics",)
    OUTPUT_TOOLTIPS = ("The edited physics (edited values are marked with source 'user').",)

    @classmethod
    def INPUT_TYPES(cls):
        from ..pavas_core.materials import MATERIAL_NAMES

        return {
            "required": {
                "physics": (PAVAS_PHYSICS, {"tooltip": "Physics from 'Estimate Physics' (or another edit)."}),
                "object_id": ("INT", {
                    "default": -1, "min": -1, "max": 1023,
                    "tooltip": "Which object to edit (its id, shown in the panel after a run); -1 edits all objects.",
                }),
                "mass_scale": ("FLOAT", {
                    "default": 1.0, "min": 0.001, "max": 1000.0, "step": 0.01,
                    "tooltip": "Multiply the mass (2 = twice as heavy: louder, lower impacts).",
                }),
                "mass_kg": ("FLOAT", {
                    "default": 0.0, "min": 0.0, "max": 100000.0, "step": 0.01,
                    "tooltip": "Set the mass in kilograms instead of scaling it (0 = keep the estimate).",
                }),
                "speed_scale": ("FLOAT", {
                    "default": 1.0, "min": 0.01, "max": 100.0, "step": 0.01,
                    "tooltip": "Multiply the speeds (and impact speeds) of the object.",
                }),
                "material": (["keep"] + list(MATERIAL_NAMES), {
                    "default": "keep",
                    "tooltip": "Material of the object (sets the ringing modes and damping); 'keep' leaves it.",
                }),
            },
        }

    def edit(self, physics, object_id, mass_scale, mass_kg, speed_scale, material):
        from ..pavas_core.physics.edit import edit_physics

        from ..pavas_core.physics.timeline import edit_summary

        before = expect_physics(physics)
        tracks = edit_physics(
            before,
            object_id=None if int(object_id) < 0 else int(object_id),
            mass_scale=float(mass_scale),
            mass_kg=float(mass_kg) or None,
            speed_scale=float(speed_scale),
            material=None if material == "keep" else material,
        )
        ui = physics_ui(tracks)
        ui["pavas_objects"] = edit_summary(before, tracks)
        return {"ui": ui, "result": (tracks,)}


class PavasPhysicsPreview:
    """A picture of the physics: speed per object over time with impact markers."""

    DESCRIPTION = "Plots speed per object over time, impacts sized by ΔKE, and masses. " + _TIMELINE_HINT
    CATEGORY = CATEGORY_PHYSICS
    FUNCTION = "preview"
    OUTPUT_NODE = True
    RETURN_TYPES = ("IMAGE",)
    RETURN_NAMES = ("plot",)
    OUTPUT_TOOLTIPS = ("The plot as an IMAGE [1, height, width, 3].",)

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "physics": (PAVAS_PHYSICS, {"tooltip": "Physics to show."}),
                "width": ("INT", {"default": 768, "min": 160, "max": 4096, "step": 8,
                                  "tooltip": "Width of the plot image in pixels."}),
                "height": ("INT", {"default": 320, "min": 120, "max": 4096, "step": 8,
                                   "tooltip": "Height of the plot image in pixels."}),
            },
        }

    def preview(self, physics, width, height):
        from ..pavas_core.comfy_types import frames_to_image
        from ..pavas_core.physics.timeline import render_timeline_image

        tracks = expect_physics(physics)
        picture = render_timeline_image(tracks, width_px=int(width), height_px=int(height))
        ui = physics_ui(tracks)
        ui["images"] = save_image_preview(picture)
        return {"ui": ui, "result": (frames_to_image(picture[None]),)}


NODE_CLASS_MAPPINGS = {
    "PAVAS_EstimatePhysics": PavasEstimatePhysics,
    "PAVAS_EditPhysics": PavasEditPhysics,
    "PAVAS_PhysicsPreview": PavasPhysicsPreview,
}
NODE_DISPLAY_NAME_MAPPINGS = {
    "PAVAS_EstimatePhysics": "Estimate Physics",
    "PAVAS_EditPhysics": "Edit Physics",
    "PAVAS_PhysicsPreview": "Physics Preview",
}
