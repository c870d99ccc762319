"""A tiny Stable Diffusion base, built from configs with nothing downloaded: the diffusers engine's tests
train and draw with it in seconds on a CPU.

    python -m worker.diffusers_tests.tiny_base DIRECTORY

writes a diffusers pipeline folder (what an operator's base model is): a few-channel UNet with attention
only at its smallest resolution, a tiny VAE with the usual 8x down-scaling, a tiny CLIP text model, and a
CLIP tokenizer whose vocabulary this module writes (every byte as a character, no merges).
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch
from diffusers import AutoencoderKL, DDIMScheduler, StableDiffusionPipeline, UNet2DConditionModel
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

RESOLUTION = 64  # the base's training resolution: the UNet's sample_size x the VAE's 8


def byte_characters() -> list[str]:
    """The 256 characters byte-level BPE shows bytes as (printable ones as themselves, the rest shifted)."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    shifted = iter(range(256, 512))
    return [chr(byte) if byte in printable else chr(next(shifted)) for byte in range(256)]


def tokenizer() -> CLIPTokenizer:
    vocabulary = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for character in byte_characters():
        vocabulary.setdefault(character, len(vocabulary))
        vocabulary.setdefault(f"{character}</w>", len(vocabulary))
    return CLIPTokenizer(vocab=vocabulary, merges=[], model_max_length=16)


def build(directory: Path, *, width: int = 32) -> Path:
    """`width` is the text model's and so the UNet's cross-attention width: another width, another architecture."""
    torch.manual_seed(0)
    channels = (8, 8, 16, 16)
    unet = UNet2DConditionModel(
        sample_size=RESOLUTION // 8, in_channels=4, out_channels=4, layers_per_block=1, block_out_channels=channels,
        down_block_types=("DownBlock2D", "DownBlock2D", "DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D", "UpBlock2D", "UpBlock2D"),
        cross_attention_dim=width, attention_head_dim=4, norm_num_groups=4,
    )
    vae = AutoencoderKL(
        in_channels=3, out_channels=3, latent_channels=4, block_out_channels=channels, layers_per_block=1,
        down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
        norm_num_groups=4, sample_size=RESOLUTION,
    )
    text_encoder = CLIPTextModel(CLIPTextConfig(
        vocab_size=520, hidden_size=width, intermediate_size=37, num_attention_heads=4, num_hidden_layers=2,
        max_position_embeddings=16, bos_token_id=0, eos_token_id=1, pad_token_id=1, projection_dim=width,
    ))
    scheduler = DDIMScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False, set_alpha_to_one=False,
        steps_offset=1,
    )
    pipeline = StableDiffusionPipeline(
        unet=unet, vae=vae, text_encoder=text_encoder, tokenizer=tokenizer(), scheduler=scheduler,
        safety_checker=None, feature_extractor=None, requires_safety_checker=False,
    )
    pipeline.save_pretrained(directory)
    return directory


if __name__ == "__main__":
    print(build(Path(sys.argv[1])))
