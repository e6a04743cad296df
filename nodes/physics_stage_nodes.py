"""Physics estimation one stage per node: Moving Objects → Object Masks → Metric Geometry → Object Mass
→ Assemble Physics. Each stage's backend is a widget listed from the stage registry; the result is
the same as the all-in-one 'Estimate Physics' with the same choices.
"""

from __future__ import annotations

from ._common import (
    CATEGORY_PHYSICS,
    PAVAS_BOXES,
    PAVAS_CLIP,
    PAVAS_GEOMETRY,
    PAVAS_MASKS,
    PAVAS_MASS,
    PAVAS_OBJECTS,
    PAVAS_PHYSICS,
    backend_widget,
    expect,
    expect_clip,
    physics_ui,
    split_names,
)
from .physics_nodes import impact_confidence_input

_CHAIN_HINT = "Connect it from 'Moving Objects' (the objects carry the clip through the chain)."


def chain_inputs(objects, masks=None, geometry=None):
    """The stage results a node got, checked: (objects, its clip context, masks, geometry).

    Every result must come from the same 'Moving Objects' node (one clip, one chain)."""
    from ..pavas_core.errors import BadInputError
    from ..pavas_core.physics.stages import Discovery, Observation, SceneGeometry

    discovery = expect(objects, Discovery, "objects", "PAVAS_OBJECTS from 'Moving Objects'")
    ctx = discovery.require_context()
    if masks is not None:
        masks = expect(masks, Observation, "masks", "PAVAS_MASKS from 'Object Masks'")
    if geometry is not None:
        geometry = expect(geometry, SceneGeometry, "geometry", "PAVAS_GEOMETRY from 'Metric Geometry'")
    for r in (masks, geometry):
        if r is not None and r.context is not None and r.context is not ctx:
            raise BadInputError(f"the inputs come from different 'Moving Objects' nodes. {_CHAIN_HINT}")
    return discovery, ctx, masks, geometry


def check_masses(mass) -> list:
    """The mass stage's result: a list of mass estimates (assembling checks there is one per object)."""
    from ..pavas_core.errors import BadInputError
    from ..pavas_core.physics.stages.base import MassEstimate

    masses = expect(mass, list, "mass", "PAVAS_MASS from 'Object Mass'")
    if not all(isinstance(m, MassEstimate) for m in masses):
        raise BadInputError("mass: expected PAVAS_MASS from 'Object Mass' (a list of mass estimates)")
    return masses


class PavasMovingObjects:
    """Stage 1: which objects move, and what they are."""

    DESCRIPTION = ("Finds the moving objects in the clip (stage 1 of physics estimation). Names typed here set "
                   "each object's mass, size and material priors, in order of appearance.")
    CATEGORY = CATEGORY_PHYSICS + "/stages"
    FUNCTION = "discover"
    RETURN_TYPES = (PAVAS_OBJECTS, "STRING")
    RETURN_NAMES = ("objects", "names")
    OUTPUT_TOOLTIPS = ("The objects, with the clip they were found in, for 'Object Masks'.",
                       "The objects' names, one per line.")

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "clip": (PAVAS_CLIP, {"tooltip": "The clip from 'Load Video (PAVAS)' or 'Clip From Frames or Video'."}),
                "backend": backend_widget("discover", "moving objects are found"),
                "object_names": ("STRING", {
                    "default": "", "multiline": False,
                    "tooltip": "What the moving objects are, comma separated, one name per object in order of "
                               "first appearance (e.g. 'basketball, wooden block'); an object seen again keeps its "
                               "name. Empty: generic objects.",
                }),
                "max_objects": ("INT", {"default": 4, "min": 1, "max": 16,
                                        "tooltip": "Keep at most this many moving objects (the ones that moved most; "
                                                   "under a moving camera, the most physical impacts first)."}),
                "analysis_max_side": ("INT", {
                    "default": 320, "min": 64, "max": 2048, "step": 16,
                    "tooltip": "Physics runs on frames whose longest side is this many pixels (faster when smaller). "
                               "'Estimate Physics' uses 320.",
                }),
            },
        }

    def discover(self, clip, backend, object_names, max_objects, analysis_max_side):
        from ..pavas_core.physics.estimate import run_stage
        from ..pavas_core.physics.options import EstimateOptions
        from ..pavas_core.physics.stages import make_context
        from ._comfy import progress_callback

        opts = EstimateOptions(object_names=split_names(object_names), max_objects=int(max_objects),
                               analysis_max_side=int(analysis_max_side), discover=backend).validate()
        ctx = make_context(expect_clip(clip), analysis_max_side=opts.analysis_max_side)
        discovery = run_stage("discover", opts, ctx, progress=progress_callback())
        names = "\n".join(f"{i}: {o.name}" for i, o in enumerate(discovery.objects))
        return {"ui": {"text": [names or "no moving object found"]}, "result": (discovery, names)}


class PavasObjectMasks:
    """Stage 2: each object's pixels in every frame."""

    DESCRIPTION = ("Each object's mask in every frame (stage 2). A MASK batch from any segmenter can replace the "
                   "built-in one: connect it to 'masks'. The 'mask' output is a MASK for core nodes.")
    CATEGORY = CATEGORY_PHYSICS + "/stages"
    FUNCTION = "observe"
    RETURN_TYPES = (PAVAS_MASKS, "MASK")
    RETURN_NAMES = ("masks", "mask")
    OUTPUT_TOOLTIPS = ("Per-object masks for 'Metric Geometry' and 'Assemble Physics'.",
                       "The masks of `mask_object` (or of every object, -1) as a MASK [frames, height, width] "
                       "at the clip's size.")

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "objects": (PAVAS_OBJECTS, {"tooltip": "From 'Moving Objects'."}),
                "backend": backend_widget("observe", "each object's mask is made (ignored when 'masks' is connected)"),
                "mask_object": ("INT", {"default": -1, "min": -1, "max": 1023,
                                        "tooltip": "Which object the MASK output shows (its id); -1: all objects."}),
            },
            "optional": {
                "masks": ("MASK", {
                    "tooltip": "Masks from another node (e.g. a SAM segmenter), one per frame. For several objects, "
                               "batch them one object after the other (frames of object 0, then of object 1...).",
                }),
                "boxes": (PAVAS_BOXES, {
                    "tooltip": "Boxes from 'Detect Objects (Florence-2)' for a backend that is prompted with boxes "
                               "(sam2). Not connected: the objects' motion boxes.",
                }),
            },
        }

    def observe(self, objects, backend, mask_object, masks=None, boxes=None):
        from ..pavas_core.comfy_types import mask_batch_to_objects, objects_to_mask_batch
        from ..pavas_core.physics.estimate import observe
        from ..pavas_core.physics.options import EstimateOptions
        from ..pavas_core.physics.stages import Boxes, create_backend
        from ._comfy import progress_callback

        discovery, ctx, _, _ = chain_inputs(objects)
        opts = EstimateOptions(masks=backend)
        given = None
        if masks is not None:  # a connected MASK wins over the widget
            opts = EstimateOptions(masks="mask_input")
            given = create_backend("observe", "mask_input", masks=mask_batch_to_objects(masks, ctx.num_frames))
        if boxes is not None:
            boxes = expect(boxes, Boxes, "boxes", "PAVAS_BOXES from 'Detect Objects (Florence-2)'")
        observation = observe(opts, ctx, discovery, boxes, progress=progress_callback(), backend=given)
        observation.context = ctx
        out = objects_to_mask_batch([o.masks for o in observation.objects], ctx.num_frames,
                                    (ctx.clip.width, ctx.clip.height), int(mask_object))
        return (observation, out)


class PavasMetricGeometry:
    """Stage 3: metric 3D position of each object in every frame."""

    DESCRIPTION = ("Metric 3D centroid of each object per frame and the camera poses (stage 3). The weight-free "
                   "backend reads metres from free fall (gravity), a known size, or the scale you give.")
    CATEGORY = CATEGORY_PHYSICS + "/stages"
    FUNCTION = "measure"
    RETURN_TYPES = (PAVAS_GEOMETRY,)
    RETURN_NAMES = ("geometry",)
    OUTPUT_TOOLTIPS = ("Per-object metric trajectories for 'Object Mass' and 'Assemble Physics'.",)

    @classmethod
    def INPUT_TYPES(cls):
        from .physics_nodes import scale_hint_inputs

        return {
            "required": {
                "objects": (PAVAS_OBJECTS, {"tooltip": "From 'Moving Objects'."}),
                "masks": (PAVAS_MASKS, {"tooltip": "From 'Object Masks'."}),
                "backend": backend_widget("geometry", "metres are measured"),
                **scale_hint_inputs(),
            },
        }

    def measure(self, objects, masks, backend, object_size_m, meters_per_px, focal_px):
        from ..pavas_core.physics.estimate import run_stage
        from ..pavas_core.physics.options import EstimateOptions
        from ._comfy import progress_callback

        discovery, ctx, observation, _ = chain_inputs(objects, masks=masks)
        opts = EstimateOptions(geometry=backend, object_size_m=float(object_size_m) or None,
                               meters_per_px=float(meters_per_px) or None, focal_px=float(focal_px) or None).validate()
        geometry = run_stage("geometry", opts, ctx, discovery, observation, progress=progress_callback())
        geometry.context = ctx
        return (geometry,)


class PavasObjectMass:
    """Stage 4: mass of each object."""

    DESCRIPTION = "Mass (kg) of each object with its source and confidence (stage 4); a mass typed here wins."
    CATEGORY = CATEGORY_PHYSICS + "/stages"
    FUNCTION = "weigh"
    RETURN_TYPES = (PAVAS_MASS,)
    RETURN_NAMES = ("mass",)
    OUTPUT_TOOLTIPS = ("Per-object mass for 'Assemble Physics'.",)

    @classmethod
    def INPUT_TYPES(cls):
        from ..pavas_core.materials import MATERIAL_NAMES

        return {
            "required": {
                "objects": (PAVAS_OBJECTS, {"tooltip": "From 'Moving Objects'."}),
                "geometry": (PAVAS_GEOMETRY, {"tooltip": "From 'Metric Geometry' (measured sizes scale some priors)."}),
                "backend": backend_widget("mass", "the mass is estimated"),
                "mass_kg": ("FLOAT", {"default": 0.0, "min": 0.0, "max": 100000.0, "step": 0.01,
                                      "tooltip": "Mass of every object in kg (0 = estimate it)."}),
                "material": (["estimate"] + list(MATERIAL_NAMES), {
                    "default": "estimate", "tooltip": "Material of every object ('estimate' keeps the estimate)."}),
            },
        }

    def weigh(self, objects, geometry, backend, mass_kg, material):
        from ..pavas_core.physics.estimate import run_stage, settle_masses
        from ..pavas_core.physics.options import EstimateOptions
        from ._comfy import progress_callback

        discovery, ctx, _, geo = chain_inputs(objects, geometry=geometry)
        opts = EstimateOptions(mass=backend, mass_kg=float(mass_kg) or None,
                               material=None if material == "estimate" else material).validate()
        masses = settle_masses(discovery, run_stage("mass", opts, ctx, discovery, geo, progress=progress_callback()),
                               opts)
        return (masses,)


class PavasAssemblePhysics:
    """Stage 5: speeds, impacts and energies from the stages → PAVAS_PHYSICS."""

    DESCRIPTION = ("Fits each object's metric trajectory (speed per frame, impacts with the energy they lose) and "
                   "assembles the physics for the Foley, MMAudio and APCC nodes.")
    CATEGORY = CATEGORY_PHYSICS + "/stages"
    FUNCTION = "assemble"
    RETURN_TYPES = (PAVAS_PHYSICS, "STRING")
    RETURN_NAMES = ("physics", "physics_json")
    OUTPUT_TOOLTIPS = ("Per-object mass, speed and impacts.", "The same as physics.json (schema 1).")

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "objects": (PAVAS_OBJECTS, {"tooltip": "From 'Moving Objects'."}),
                "masks": (PAVAS_MASKS, {"tooltip": "From 'Object Masks'."}),
                "geometry": (PAVAS_GEOMETRY, {"tooltip": "From 'Metric Geometry'."}),
                "mass": (PAVAS_MASS, {"tooltip": "From 'Object Mass'."}),
            },
            "optional": impact_confidence_input(),
        }

    def assemble(self, objects, masks, geometry, mass, min_impact_confidence=None):
        from ..pavas_core.physics.estimate import EstimateOptions, assemble_physics, finish_gating
        from ..pavas_core.physics.gating import DEFAULT_MIN_IMPACT_CONFIDENCE
        from ._comfy import progress_callback

        discovery, ctx, observation, geo = chain_inputs(objects, masks=masks, geometry=geometry)
        masses = check_masses(mass)
        opts = EstimateOptions(min_impact_confidence=float(DEFAULT_MIN_IMPACT_CONFIDENCE if min_impact_confidence is None
                                                           else min_impact_confidence)).validate()
        tracks = finish_gating(assemble_physics(ctx, discovery, observation, geo, masses, opts,
                                                progress=progress_callback()))
        return {"ui": physics_ui(tracks), "result": (tracks, tracks.to_json())}


NODE_CLASS_MAPPINGS = {
    "PAVAS_MovingObjects": PavasMovingObjects,
    "PAVAS_ObjectMasks": PavasObjectMasks,
    "PAVAS_MetricGeometry": PavasMetricGeometry,
    "PAVAS_ObjectMass": PavasObjectMass,
    "PAVAS_AssemblePhysics": PavasAssemblePhysics,
}
NODE_DISPLAY_NAME_MAPPINGS = {
    "PAVAS_MovingObjects": "Moving Objects",
    "PAVAS_ObjectMasks": "Object Masks",
    "PAVAS_MetricGeometry": "Metric Geometry",
    "PAVAS_ObjectMass": "Object Mass",
    "PAVAS_AssemblePhysics": "Assemble Physics",
}
