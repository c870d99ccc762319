"""The diffusers engine: trains a LoRA on a Stable Diffusion base (1.x/2.x family) with PEFT and draws with it.

Needs its own environment (worker/requirements-diffusers.txt: torch, diffusers, transformers, peft,
safetensors, accelerate); the web app never imports this module. The base model is the operator's: a
diffusers folder or a hub id, read once per process.

    ATELIER_DIFFUSERS_BASE   the base model (required): /models/stable-diffusion-v1-5 or a hub id
    ATELIER_DIFFUSERS_DEVICE cuda | cpu (default: cuda when there is one)
    ATELIER_DIFFUSERS_FP16   1 | 0 (default: 1 on cuda): the frozen base in half precision, the LoRA in full
    ATELIER_DIFFUSERS_STEPS  inference steps per image (default 30)
    ATELIER_DIFFUSERS_GUIDANCE   classifier-free guidance (default 7.0)
    ATELIER_LORA_RANK        LoRA rank, alpha the same (default 8)
    ATELIER_LORA_LEARNING_RATE   AdamW learning rate (default 1e-4)
    ATELIER_LORA_CACHE       styles' LoRAs kept loaded at once (default 4)

The artefact is the LoRA's UNet weights in safetensors, diffusers' key names, with the engine's config as JSON
in the file's own metadata (key "atelier"): one file, readable by any safetensors tool.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import math
import os
import struct
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from diffusers import DDPMScheduler, StableDiffusionPipeline
from diffusers.training_utils import cast_training_params
from diffusers.utils import convert_state_dict_to_diffusers
from peft import LoraConfig
from peft.utils import get_peft_model_state_dict
from PIL import Image, ImageOps, UnidentifiedImageError
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors
from torch.nn.functional import mse_loss

from worker.engines.base import Artefact, Engine, EngineError, TrainingParams

logger = logging.getLogger(__name__)

KIND = "atelier-diffusers-lora"
VERSION = 1
TARGET_MODULES = ("to_q", "to_k", "to_v", "to_out.0")  # the UNet's attention projections
TRAINING_ADAPTER = "atelier-training"


@dataclass(frozen=True)
class Settings:
    base: str
    device: str
    fp16: bool
    steps: int = 30
    guidance: float = 7.0
    rank: int = 8
    learning_rate: float = 1e-4
    cache: int = 4

    @classmethod
    def from_environment(cls, environ=os.environ) -> Settings:
        base = environ.get("ATELIER_DIFFUSERS_BASE", "").strip()
        if not base:
            raise RuntimeError("the diffusers engine needs ATELIER_DIFFUSERS_BASE: a diffusers model folder or hub id")
        device = environ.get("ATELIER_DIFFUSERS_DEVICE") or ("cuda" if torch.cuda.is_available() else "cpu")
        fp16 = environ.get("ATELIER_DIFFUSERS_FP16", "1" if device.startswith("cuda") else "0") == "1"
        return cls(
            base=base, device=device, fp16=fp16,
            steps=int(environ.get("ATELIER_DIFFUSERS_STEPS", cls.steps)),
            guidance=float(environ.get("ATELIER_DIFFUSERS_GUIDANCE", cls.guidance)),
            rank=int(environ.get("ATELIER_LORA_RANK", cls.rank)),
            learning_rate=float(environ.get("ATELIER_LORA_LEARNING_RATE", cls.learning_rate)),
            cache=int(environ.get("ATELIER_LORA_CACHE", cls.cache)),
        )


class DiffusersEngine(Engine):
    name = "diffusers"

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings.from_environment()
        dtype = torch.float16 if self.settings.fp16 else torch.float32
        logger.info("loading the base model %s on %s (%s)", self.settings.base, self.settings.device, dtype)
        self.pipeline = StableDiffusionPipeline.from_pretrained(
            self.settings.base, dtype=dtype, safety_checker=None, requires_safety_checker=False,
        ).to(self.settings.device)
        self.pipeline.set_progress_bar_config(disable=True)
        if self.settings.device.startswith("cuda"):
            self.pipeline.enable_attention_slicing()  # a 2:2 (1024 px) image on a 24 GB card
        self.resolution = self.pipeline.unet.config.sample_size * self.pipeline.vae_scale_factor
        self._loaded: OrderedDict[str, str] = OrderedDict()  # artefact digest -> adapter name, oldest first

    # --- training ---

    def train(self, images: Sequence[bytes], params: TrainingParams, progress: Callable[[int], None]) -> Artefact:
        pixels = self._pixels(images)
        pipe, settings = self.pipeline, self.settings
        caption = ", ".join(params.captions)
        digest = hashlib.sha256(b"".join(hashlib.sha256(image).digest() for image in images)).digest()
        generator = torch.Generator().manual_seed(int.from_bytes(digest[:8], "big"))
        noise_scheduler = DDPMScheduler.from_config(pipe.scheduler.config)
        unet = pipe.unet
        unet.add_adapter(
            LoraConfig(r=settings.rank, lora_alpha=settings.rank, init_lora_weights="gaussian",
                       target_modules=list(TARGET_MODULES)),
            adapter_name=TRAINING_ADAPTER,
        )
        try:
            unet.set_adapter(TRAINING_ADAPTER)  # only this one learns and applies, whatever else is loaded
            if settings.fp16:
                cast_training_params(unet, dtype=torch.float32)
            trainable = [parameter for parameter in unet.parameters() if parameter.requires_grad]
            optimiser = torch.optim.AdamW(trainable, lr=settings.learning_rate)
            with torch.no_grad():
                ids = pipe.tokenizer(
                    [caption], padding="max_length", max_length=pipe.tokenizer.model_max_length, truncation=True,
                    return_tensors="pt",
                ).input_ids.to(settings.device)
                context = pipe.text_encoder(ids)[0]
            total = max(1, params.num_epochs) * len(pixels)
            unet.train()
            for step in range(total):
                loss = self._step(pixels[step % len(pixels)], context, noise_scheduler, generator)
                loss.backward()
                optimiser.step()
                optimiser.zero_grad(set_to_none=True)
                progress(math.floor(100 * (step + 1) / total))
            unet.eval()
            weights = convert_state_dict_to_diffusers(get_peft_model_state_dict(unet, adapter_name=TRAINING_ADAPTER))
        finally:
            unet.delete_adapters(TRAINING_ADAPTER)
            if self._loaded:
                pipe.set_adapters(list(self._loaded.values())[-1:])
        config = {
            "kind": KIND, "version": VERSION, "base": settings.base, "resolution": self.resolution,
            "rank": settings.rank, "alpha": settings.rank, "target_modules": list(TARGET_MODULES),
            "epochs": max(1, params.num_epochs), "steps": total, "image_count": len(images), "caption": caption,
        }
        tensors = {
            f"unet.{key}": value.detach().to("cpu", torch.float32).contiguous() for key, value in weights.items()
        }
        data = save_safetensors(tensors, metadata={"atelier": json.dumps(config, sort_keys=True)})
        return Artefact(data, "application/octet-stream", config)

    def _pixels(self, images: Sequence[bytes]) -> list[torch.Tensor]:
        """Each image cropped to a centred square and resized to the base's resolution, as a -1..1 tensor."""
        size = self.resolution
        tensors = []
        for number, data in enumerate(images, start=1):
            try:
                image = Image.open(io.BytesIO(data))
                image = ImageOps.exif_transpose(image).convert("RGB")
            except (UnidentifiedImageError, OSError) as exc:
                raise EngineError(f"Training image {number} could not be read as an image.") from exc
            square = ImageOps.fit(image, (size, size), Image.Resampling.LANCZOS)
            values = torch.frombuffer(bytearray(square.tobytes()), dtype=torch.uint8).reshape(size, size, 3)
            tensors.append((values.permute(2, 0, 1).float() / 127.5 - 1.0).unsqueeze(0))
        if not tensors:
            raise EngineError("A style needs at least one training image.")
        return tensors

    def _step(self, pixels, context, noise_scheduler, generator) -> torch.Tensor:
        pipe, device = self.pipeline, self.settings.device
        vae_dtype = pipe.vae.dtype
        with torch.no_grad():
            encoded = pipe.vae.encode(pixels.to(device, vae_dtype)).latent_dist
            sample = torch.randn(encoded.mean.shape, generator=generator).to(device, vae_dtype)
            latents = (encoded.mean + encoded.std * sample) * pipe.vae.config.scaling_factor
        noise = torch.randn(latents.shape, generator=generator).to(device, latents.dtype)
        timesteps = torch.randint(0, noise_scheduler.config.num_train_timesteps, (1,), generator=generator).to(device)
        noisy = noise_scheduler.add_noise(latents, noise, timesteps)
        if noise_scheduler.config.prediction_type == "v_prediction":
            target = noise_scheduler.get_velocity(latents, noise, timesteps)
        else:
            target = noise
        with torch.autocast(device_type=device.split(":")[0], dtype=torch.float16, enabled=self.settings.fp16):
            predicted = pipe.unet(noisy, timesteps, context).sample
        return mse_loss(predicted.float(), target.float())

    # --- drawing ---

    def generate(self, artefact: bytes, prompt_tags: list[str], width: int, height: int, seed: int) -> bytes:
        adapter = self._adapter(artefact)
        self.pipeline.set_adapters([adapter])
        image = self.pipeline(
            prompt=", ".join(prompt_tags), width=width, height=height,
            num_inference_steps=self.settings.steps, guidance_scale=self.settings.guidance,
            generator=torch.Generator().manual_seed(seed),  # on the CPU: the same noise on every device
        ).images[0]
        out = io.BytesIO()
        image.save(out, "PNG")
        return out.getvalue()

    def _adapter(self, artefact: bytes) -> str:
        """The adapter name of this artefact's LoRA, loading it (and unloading the least recently used) if new."""
        digest = hashlib.sha256(artefact).hexdigest()
        if digest in self._loaded:
            self._loaded.move_to_end(digest)
            return self._loaded[digest]
        config = read_config(artefact)
        if config.get("base") != self.settings.base:
            raise EngineError(
                f"This style was trained on the base model {config.get('base')!r}; this worker runs "
                f"{self.settings.base!r}. Train the style again here, or run a worker with its base."
            )
        name = f"style-{digest[:16]}"
        self.pipeline.load_lora_weights(load_safetensors(artefact), adapter_name=name)
        self._loaded[digest] = name
        while len(self._loaded) > self.settings.cache:
            _, oldest = self._loaded.popitem(last=False)
            self.pipeline.delete_adapters(oldest)
        return name


def read_config(artefact: bytes) -> dict:
    """The engine's config from a safetensors artefact's metadata; EngineError when it is not this engine's."""
    unreadable = EngineError("This style's trained model is not a LoRA of the diffusers engine; train it again.")
    if len(artefact) < 8:
        raise unreadable
    (length,) = struct.unpack("<Q", artefact[:8])
    try:
        header = json.loads(artefact[8:8 + length])
        config = json.loads(header["__metadata__"]["atelier"])
    except (ValueError, KeyError, TypeError) as exc:
        raise unreadable from exc
    if not isinstance(config, dict) or config.get("kind") != KIND or config.get("version") != VERSION:
        raise unreadable
    return config
