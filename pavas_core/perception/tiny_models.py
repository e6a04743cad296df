"""Tiny random-weight perception models in the released layouts, for tests and plumbing checks.

    write_tiny_vlm(folder)          # a Qwen2.5-VL folder (config, safetensors, processor, chat template)
    write_tiny_florence2(folder)    # a native Florence-2 folder
    write_tiny_sam2(path)           # sam2.1 hiera tiny, random weights, as {"model": state dict} (.pt)
    write_tiny_perception_set(dir)  # all three, plus a tiny metric depth model (models/tiny_depth.py)

They load through exactly the code that loads the real files (AutoProcessor, the native model
classes, the packaged sam2.1 config) and run in seconds on a CPU. Their answers are random: a tiny
VLM's text is not JSON, a tiny Florence-2 finds nothing sensible, a random SAM-2 does not take its
prompt — which is what the fallbacks are for. The tokenizers are built here, offline (byte-level
BPE over the 256 byte symbols, no merges, plus the special tokens each model's processor needs).
The SAM-2 file is the real tiny architecture (39 M parameters, ~156 MB as float32).
"""

from __future__ import annotations

import os
from pathlib import Path

RELEASED_NAMES = {  # what users have in models/LLM, models/sam2, models/depth; the perception workflow names these
    "vlm": "Qwen2.5-VL-3B-Instruct",
    "florence2": "Florence-2-base",
    "sam2": "sam2.1_hiera_tiny.pt",
    "depth": "Depth-Anything-V2-Metric-Indoor-Small-hf",
}
TINY_DEPTH_INPUT_SIDE = 56  # px (4 patches): the tiny depth model's preprocessor size, quick on a CPU

_QWEN_SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>",
                  "<|image_pad|>", "<|video_pad|>"]
# A chat template of the Qwen form (ours, minimal): images become vision tokens, text stays text.
_QWEN_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{% if m['content'] is string %}{{ m['content'] }}"
    "{% else %}{% for c in m['content'] %}{% if c['type'] == 'image' %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif c['type'] == 'text' %}{{ c['text'] }}{% endif %}{% endfor %}{% endif %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def _byte_level_tokenizer(specials: list[str]):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from tokenizers.pre_tokenizers import ByteLevel

    vocab = {t: i for i, t in enumerate(specials + sorted(ByteLevel.alphabet()))}
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    return tok


def write_tiny_vlm(folder: str | os.PathLike, *, seed: int = 0) -> Path:
    """A random Qwen2.5-VL (~0.1 M parameters) with its processor, saved as a model folder."""
    import torch
    from transformers import PreTrainedTokenizerFast, Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration, \
        Qwen2_5_VLProcessor
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil
    from transformers.models.qwen2_vl.video_processing_qwen2_vl import Qwen2VLVideoProcessor

    tok = PreTrainedTokenizerFast(tokenizer_object=_byte_level_tokenizer([]), eos_token="<|im_end|>",
                                  pad_token="<|endoftext|>", additional_special_tokens=_QWEN_SPECIALS)
    pixels = dict(min_pixels=28 * 28 * 4, max_pixels=56 * 56 * 4, patch_size=14, merge_size=2, temporal_patch_size=2)
    processor = Qwen2_5_VLProcessor(image_processor=Qwen2VLImageProcessorPil(**pixels), tokenizer=tok,
                                    video_processor=Qwen2VLVideoProcessor(**pixels), chat_template=_QWEN_TEMPLATE)
    ids = {t: tok.convert_tokens_to_ids(t) for t in _QWEN_SPECIALS}
    config = Qwen2_5_VLConfig(
        text_config=dict(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=1024,
                         rope_parameters={"rope_type": "default", "rope_theta": 10000.0, "mrope_section": [1, 1, 2]},
                         bos_token_id=ids["<|endoftext|>"], eos_token_id=ids["<|im_end|>"],
                         pad_token_id=ids["<|endoftext|>"]),
        vision_config=dict(depth=1, hidden_size=32, intermediate_size=64, num_heads=2, patch_size=14,
                           spatial_merge_size=2, temporal_patch_size=2, out_hidden_size=32, window_size=56,
                           fullatt_block_indexes=[0]),
        image_token_id=ids["<|image_pad|>"], video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"], vision_end_token_id=ids["<|vision_end|>"])
    torch.manual_seed(seed)
    model = Qwen2_5_VLForConditionalGeneration(config).eval()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


def write_tiny_florence2(folder: str | os.PathLike, *, seed: int = 0) -> Path:
    """A random Florence-2 (DaViT one stage, BART one layer each way) with its processor."""
    import torch
    from transformers import BartTokenizerFast, CLIPImageProcessor, Florence2Config, \
        Florence2ForConditionalGeneration, Florence2Processor

    tok = BartTokenizerFast(tokenizer_object=_byte_level_tokenizer(["<s>", "<pad>", "</s>", "<unk>"]),
                            bos_token="<s>", eos_token="</s>", pad_token="<pad>", unk_token="<unk>",
                            extra_special_tokens={"image_token": "<image>"})
    tok.add_tokens([f"<loc_{i}>" for i in range(1000)])
    side = 32  # one DaViT stage of stride 4: 8 x 8 patches, plus Florence-2's one extra token
    image_tokens = (side // 4) ** 2 + 1
    images = CLIPImageProcessor(size={"height": side, "width": side}, crop_size={"height": side, "width": side},
                                do_center_crop=False, image_seq_length=image_tokens)
    images.image_seq_length = image_tokens
    processor = Florence2Processor(image_processor=images, tokenizer=tok)
    config = Florence2Config(
        text_config=dict(model_type="bart", vocab_size=len(tok), d_model=16, encoder_layers=1, decoder_layers=1,
                         encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32,
                         max_position_embeddings=256, bos_token_id=0, pad_token_id=1, eos_token_id=2,
                         decoder_start_token_id=2, forced_bos_token_id=0),
        vision_config=dict(depths=[1], patch_size=[7], patch_stride=[4], patch_padding=[3], patch_prenorm=[False],
                           embed_dim=[16], num_heads=[2], num_groups=[2], window_size=4, projection_dim=16),
        image_token_id=tok.image_token_id)
    torch.manual_seed(seed)
    model = Florence2ForConditionalGeneration(config).eval()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


def write_tiny_sam2(path: str | os.PathLike, *, seed: int = 0) -> Path:
    """sam2.1 hiera tiny at random weights, saved like the released checkpoint ({"model": state dict})."""
    import torch

    from .sam2_video import build_sam2

    torch.manual_seed(seed)
    predictor = build_sam2("tiny", version="2.1", image_size=1024)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"model": predictor.state_dict()}, path)
    return path


def write_tiny_perception_set(models_dir: str | os.PathLike) -> dict[str, Path]:
    """The perception workflow's models under their released names: models_dir/LLM/<vlm>,
    models_dir/LLM/<florence2>, models_dir/sam2/<file> and the metric depth model folder
    models_dir/depth/<depth> (the folder 'Load Depth Model' lists)."""
    from ..models.tiny_depth import write_tiny_depth_model

    root = Path(models_dir)
    depth = root / "depth" / RELEASED_NAMES["depth"]
    return {
        "vlm": write_tiny_vlm(root / "LLM" / RELEASED_NAMES["vlm"]),
        "florence2": write_tiny_florence2(root / "LLM" / RELEASED_NAMES["florence2"]),
        "sam2": write_tiny_sam2(root / "sam2" / RELEASED_NAMES["sam2"]),
        "depth": Path(write_tiny_depth_model(str(depth), input_side=TINY_DEPTH_INPUT_SIDE)),
    }
