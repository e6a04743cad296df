"""The CUT3R network: one frame at a time, a persistent state carries the scene.

Per frame: a ViT encodes the image into patch tokens; a pose token (learnt for the first frame,
read from a small learnt memory for later ones) joins them; two decoders run side by side, the
state tokens attending to the image tokens and the image tokens to the state, layer by layer;
heads turn the decoder's tokens into a point map in the frame's own camera, a point map in the
world frame (the first frame's camera) and the camera-to-world pose. Afterwards the state and the
pose memory are replaced by their updated versions, so memory stays bounded however long the clip.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .config import Cut3rConfig
from .layers import DecoderBlock, DPTHead, EncoderBlock, Mlp, ModulatedBlock, PatchEmbed, Rope2D, layer_norm


@dataclass
class Cut3rState:
    """What carries over from one frame to the next."""

    tokens: torch.Tensor  # (B, state_size, dec_dim)
    positions: torch.Tensor  # (B, state_size, 2)
    memory: torch.Tensor  # (B, memory_size, 2 * dec_dim)
    frames_seen: int = 0


@dataclass
class Cut3rFrame:
    """One frame's outputs (B = batch of independent clips)."""

    points_self: torch.Tensor  # (B, H, W, 3) in this frame's camera (x right, y down, z forward)
    conf_self: torch.Tensor  # (B, H, W), ≥ 1
    points_world: torch.Tensor  # (B, H, W, 3) in the world frame (the first frame's camera)
    conf_world: torch.Tensor  # (B, H, W), ≥ 1
    pose: torch.Tensor  # (B, 7): translation, unit quaternion (w, x, y, z) with w ≥ 0; camera-to-world
    rgb: torch.Tensor | None  # (B, H, W, 3) in [-1, 1], when the model has the colour head

    def camera_to_world(self) -> torch.Tensor:
        """(B, 4, 4) camera-to-world matrices from `pose`."""
        return pose_to_matrix(self.pose)


def pose_to_matrix(pose: torch.Tensor) -> torch.Tensor:
    t, q = pose[..., :3], pose[..., 3:7]
    w, x, y, z = q.unbind(-1)
    s = 2.0 / (q * q).sum(-1)
    rot = torch.stack([
        1 - s * (y * y + z * z), s * (x * y - z * w), s * (x * z + y * w),
        s * (x * y + z * w), 1 - s * (x * x + z * z), s * (y * z - x * w),
        s * (x * z - y * w), s * (y * z + x * w), 1 - s * (x * x + y * y),
    ], dim=-1).reshape(q.shape[:-1] + (3, 3))
    out = torch.zeros(pose.shape[:-1] + (4, 4), dtype=pose.dtype, device=pose.device)
    out[..., :3, :3] = rot
    out[..., :3, 3] = t
    out[..., 3, 3] = 1.0
    return out


def _exp_radial(xyz: torch.Tensor) -> torch.Tensor:
    """Network output → metres: direction kept, length d becomes exp(d) - 1."""
    d = xyz.norm(dim=-1, keepdim=True)
    return xyz / d.clamp(min=1e-8) * torch.expm1(d)


def _points_and_conf(out: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    fmap = out.permute(0, 2, 3, 1)
    return _exp_radial(fmap[..., :3]), 1.0 + fmap[..., 3].exp()


class PoseMemory(nn.Module):
    """Learnt memory that gives later frames their pose token from the frame's mean feature."""

    def __init__(self, cfg: Cut3rConfig) -> None:
        super().__init__()
        d = cfg.dec_dim
        self.dim = d
        self.proj_q = nn.Linear(cfg.enc_dim, d)
        self.masked_token = nn.Parameter(torch.zeros(1, 1, d))
        self.mem = nn.Parameter(torch.zeros(1, cfg.memory_size, 2 * d))
        self.write_blocks = nn.ModuleList(DecoderBlock(2 * d, cfg.dec_heads, cfg.mlp_ratio, None) for _ in range(2))
        self.read_blocks = nn.ModuleList(DecoderBlock(2 * d, cfg.dec_heads, cfg.mlp_ratio, None) for _ in range(2))

    def write(self, memory: torch.Tensor, key: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
        entry = torch.cat((self.proj_q(key), value), dim=-1)
        for blk in self.write_blocks:
            memory = blk(memory, entry)
        return memory

    def read(self, key: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
        x = torch.cat((self.proj_q(key), self.masked_token.expand(key.shape[0], -1, -1)), dim=-1)
        for blk in self.read_blocks:
            x = blk(x, memory)
        return x[..., -self.dim:]


class PointHeads(nn.Module):
    """Pose MLP, the pose-conditioned blocks and the DPT heads (self view, world view, colour)."""

    def __init__(self, cfg: Cut3rConfig, rope: Rope2D) -> None:
        super().__init__()
        dims = [cfg.enc_dim, cfg.dec_dim, cfg.dec_dim, cfg.dec_dim]
        kw = dict(features=cfg.dpt_features, layer_dims=cfg.dpt_layer_dims, patch=cfg.patch)
        self.dpt_self = DPTHead(dims, 4, **kw)
        self.final_transform = nn.ModuleList(ModulatedBlock(cfg.dec_dim, cfg.dec_heads, cfg.mlp_ratio, rope)
                                             for _ in range(2))
        self.dpt_cross = DPTHead(dims, 4, **kw)
        if cfg.rgb_head:
            self.dpt_rgb = DPTHead(dims, 3, **kw)
        self.pose_head = nn.Module()
        self.pose_head.mlp = Mlp(cfg.dec_dim, cfg.dec_dim * 4, 7)

    def forward(self, layers: list[torch.Tensor], hw: tuple[int, int], pos: torch.Tensor, want_rgb: bool) -> dict:
        pose_token, tokens = layers[-1][:, 0], layers[-1][:, 1:]
        raw = self.pose_head.mlp(pose_token)
        world_tokens = tokens
        for blk in self.final_transform:
            world_tokens = blk(world_tokens, pose_token, pos)
        pts_self, conf_self = _points_and_conf(self.dpt_self(layers[:-1] + [tokens], hw))
        pts_world, conf_world = _points_and_conf(self.dpt_cross(layers[:-1] + [world_tokens], hw))
        t = raw[:, :3]
        d = t.norm(dim=-1, keepdim=True)
        t = t * (torch.expm1(d) / d.clamp(min=1e-8))
        q = F.normalize(raw[:, 3:7], dim=-1)
        q = torch.where(q[:, :1] < 0, -q, q)
        rgb = None
        if want_rgb and hasattr(self, "dpt_rgb"):
            eps = 1e-6
            rgb = ((torch.sigmoid(self.dpt_rgb(layers[:-1] + [tokens], hw)) * (1 - 2 * eps) + eps) - 0.5) * 2
            rgb = rgb.permute(0, 2, 3, 1)
        return dict(points_self=pts_self, conf_self=conf_self, points_world=pts_world, conf_world=conf_world,
                    pose=torch.cat((t, q), dim=-1), rgb=rgb)


class Cut3r(nn.Module):
    def __init__(self, cfg: Cut3rConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.rope = Rope2D(cfg.rope_base)
        r = cfg.mlp_ratio
        self.patch_embed = PatchEmbed(3, cfg.enc_dim, cfg.patch)
        self.enc_blocks = nn.ModuleList(EncoderBlock(cfg.enc_dim, cfg.enc_heads, r, self.rope, True)
                                        for _ in range(cfg.enc_depth))
        self.enc_norm = layer_norm(cfg.enc_dim)
        # Ray-map queries (rendering unseen views) are not used here; their weights are part of the
        # checkpoint and load so that loading can be strict.
        self.patch_embed_ray_map = PatchEmbed(6, cfg.enc_dim, cfg.patch)
        self.enc_blocks_ray_map = nn.ModuleList(EncoderBlock(cfg.enc_dim, cfg.ray_enc_heads, r, self.rope, False)
                                                for _ in range(cfg.ray_enc_depth))
        self.enc_norm_ray_map = layer_norm(cfg.enc_dim)
        self.masked_img_token = nn.Parameter(torch.zeros(1, cfg.enc_dim))
        self.masked_ray_map_token = nn.Parameter(torch.zeros(1, cfg.enc_dim))
        self.register_tokens = nn.Embedding(cfg.state_size, cfg.enc_dim)
        self.decoder_embed_state = nn.Linear(cfg.enc_dim, cfg.dec_dim)
        self.dec_blocks_state = nn.ModuleList(DecoderBlock(cfg.dec_dim, cfg.state_heads, r, self.rope)
                                              for _ in range(cfg.dec_depth))
        self.dec_norm_state = layer_norm(cfg.dec_dim)
        self.decoder_embed = nn.Linear(cfg.enc_dim, cfg.dec_dim)
        self.dec_blocks = nn.ModuleList(DecoderBlock(cfg.dec_dim, cfg.dec_heads, r, self.rope)
                                        for _ in range(cfg.dec_depth))
        self.dec_norm = layer_norm(cfg.dec_dim)
        self.pose_token = nn.Parameter(torch.zeros(1, 1, cfg.dec_dim))
        self.pose_retriever = PoseMemory(cfg)
        self.downstream_head = PointHeads(cfg, self.rope)

    # --- parts --------------------------------------------------------------------------------
    def encode(self, img: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x, pos = self.patch_embed(img)
        for blk in self.enc_blocks:
            x = blk(x, pos)
        return self.enc_norm(x), pos

    def initial_state(self, batch: int, device=None) -> Cut3rState:
        cfg = self.cfg
        device = device or self.pose_token.device
        tokens = self.decoder_embed_state(self.register_tokens.weight)[None].expand(batch, -1, -1)
        i = torch.arange(cfg.state_size, device=device)
        w = cfg.state_grid_width
        positions = torch.stack((i // w, i % w), dim=-1)[None].expand(batch, -1, -1)
        memory = self.pose_retriever.mem.expand(batch, -1, -1)
        return Cut3rState(tokens=tokens, positions=positions, memory=memory, frames_seen=0)

    def _decode(self, state: Cut3rState, feat: torch.Tensor, pos: torch.Tensor, pose_feat: torch.Tensor):
        img = torch.cat((pose_feat, self.decoder_embed(feat)), dim=1)
        pose_pos = torch.full((pos.shape[0], 1, 2), -1, dtype=pos.dtype, device=pos.device)
        img_pos = torch.cat((pose_pos, pos), dim=1)
        s = state.tokens
        layers = []
        for blk_state, blk_img in zip(self.dec_blocks_state, self.dec_blocks):
            s, img = blk_state(s, img, state.positions, img_pos), blk_img(img, s, img_pos, state.positions)
            layers.append(img)
        layers[-1] = self.dec_norm(layers[-1])
        return self.dec_norm_state(s), layers

    # --- one frame ------------------------------------------------------------------------------
    def step(self, img: torch.Tensor, state: Cut3rState | None = None, *, want_rgb: bool = False
             ) -> tuple[Cut3rFrame, Cut3rState]:
        """img: (B, 3, H, W) in [-1, 1], H and W multiples of the patch size → (outputs, next state)."""
        b, _, h, w = img.shape
        p = self.cfg.patch
        if h % p or w % p:
            raise ValueError(f"CUT3R input must be a multiple of {p} px on each side, got {w}x{h}")
        feat, pos = self.encode(img)
        if state is None:
            state = self.initial_state(b, img.device)
        summary = feat.mean(dim=1, keepdim=True)
        if state.frames_seen == 0:
            pose_feat = self.pose_token.expand(b, -1, -1)
        else:
            pose_feat = self.pose_retriever.read(summary, state.memory)
        new_tokens, layers = self._decode(state, feat, pos, pose_feat)
        memory = self.pose_retriever.write(state.memory, summary, layers[-1][:, :1])
        hooks = self.cfg.hooks
        # the heads run in their own dtype (float32 when loaded at half precision, as the released
        # model does): exp(|x|) − 1 turns half-precision rounding into centimetres of depth
        head_dtype = self.downstream_head.pose_head.mlp.fc1.weight.dtype
        head_in = [t.to(head_dtype) for t in (feat, layers[hooks[0] - 1][:, 1:], layers[hooks[1] - 1][:, 1:],
                                              layers[hooks[2] - 1])]
        out = self.downstream_head(head_in, (h, w), pos, want_rgb)
        nxt = Cut3rState(tokens=new_tokens, positions=state.positions, memory=memory,
                         frames_seen=state.frames_seen + 1)
        return Cut3rFrame(**out), nxt
