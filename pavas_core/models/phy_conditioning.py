"""Physics conditioning for generation: a Phy-Adapter with one clip's inputs, turned into the
Δ-modulations of each generation window.

Each window of a long clip gets the residuals of its own frames (`PhysicsInputs.window`), made
for its own number of audio tokens, so a per-token residual always fits its window. The
unconditional branch of classifier-free guidance gets the adapter's null-physics delta: training
replaces the physics by the null tokens (with probability 0.1, and whenever the backbone drops the
video conditions), so v(∅, null) is what the network learned as "no conditions", and guidance
v = s·v(c, physics) + (1 − s)·v(∅, null) then amplifies the physics along with the video — the
same reason MMAudio empties CLIP, Synchformer and text together in that branch.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..physics.edit import edit_physics
from ..physics.tracks import PhysicsTracks
from .mmaudio.network import AdaLNDelta
from .phy_adapter import PhyAdapter
from .physics_inputs import PhysicsInputs, collate


@dataclass
class PhysicsConditioning:
    """What the sampler needs to steer generation with physics (the ComfyUI PAVAS_PHY_CONDITIONING).

    adapter: the Phy-Adapter; inputs: the whole clip's inputs at 8 fps; tracks: the physics they were
    read from (kept so it can be edited before sampling).
    """

    adapter: PhyAdapter
    inputs: PhysicsInputs
    tracks: PhysicsTracks | None = None

    def edited(self, *, object_id: int | None = None, mass_scale: float = 1.0, mass_kg: float | None = None,
               speed_scale: float = 1.0) -> "PhysicsConditioning":
        """The same conditioning with one object's (or every object's) mass or speed changed, as Edit Physics does."""
        if self.tracks is None:
            raise ValueError("this conditioning keeps no physics to edit")
        tracks = edit_physics(self.tracks, object_id=object_id, mass_scale=mass_scale, mass_kg=mass_kg,
                              speed_scale=speed_scale)
        return PhysicsConditioning(self.adapter, self.inputs.with_physics(tracks), tracks)

    @torch.no_grad()
    def window_deltas(self, start_s: float, num_frames: int, *, latent_len: int, sample_rate_hz: int,
                      batch_size: int = 1) -> tuple[AdaLNDelta, AdaLNDelta]:
        """(conditional, null-physics) deltas of the window starting at start_s with `num_frames` CLIP
        frames and `latent_len` audio tokens, each of batch `batch_size`."""
        batch = collate([self.inputs.window(start_s, num_frames)]).to(self.adapter.device)
        codes = self.adapter.encode(batch)
        conditional = self.adapter.delta(codes, latent_len=latent_len, sample_rate_hz=sample_rate_hz)
        null = self.adapter.delta(self.adapter.null_codes(1, num_frames), latent_len=latent_len,
                                  sample_rate_hz=sample_rate_hz)
        return _expand(conditional, batch_size), _expand(null, batch_size)


def _expand(delta: AdaLNDelta, batch_size: int) -> AdaLNDelta:
    def grow(x):
        return None if x is None else x.expand(batch_size, *x.shape[1:])

    return AdaLNDelta({k: grow(v) for k, v in delta.residuals.items()}, token_index=delta.token_index,
                      condition=grow(delta.condition), token_condition=grow(delta.token_condition))


def build_physics_conditioning(adapter: PhyAdapter, tracks: PhysicsTracks, clip, clip_encoder,
                               network_config=None, *, progress=None) -> PhysicsConditioning:
    """The conditioning of one clip: its physics inputs (object features from `clip_encoder`) with the adapter.

    network_config: when given, the adapter is checked to fit that network (a clear error otherwise).
    """
    from .physics_inputs import physics_inputs

    if network_config is not None:
        adapter.config.check_network(network_config)
    return PhysicsConditioning(adapter, physics_inputs(tracks, clip, clip_encoder, progress=progress), tracks)
