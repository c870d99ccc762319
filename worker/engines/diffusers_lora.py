"""The diffusers engine: trains a LoRA on a Stable Diffusion base (1.x/2.x family) with PEFT and draws with it.

Needs its own environment (worker/requirements-diffusers.txt: torch, diffusers, transformers, peft,
safetensors, accelerate); the web app never imports this module. The base model is the operator's: a
diffusers folder or a hub id, read once per process.

    ATELIER_DIFFUSERS_BASE   the base model (required): /models/stable-diffusion-v1-5 or a hub id
    ATELIER_DIFFUSERS_DEVICE cuda | cpu (default: cuda when there is one)
    ATELIER_DIFFUSERS_FP16   1 | 0 (default: 1 on cuda): the frozen base in half precision, the LoRA in full,
                             its gradients loss-scaled
    ATELIER_DIFFUSERS_ATTENTION_SLICING  1 | 0 (default 0): only for small cards; PyTorch 2's attention is
                             already memory-efficient, and slicing is slower and, in training, larger
    ATELIER_DIFFUSERS_STEPS  inference steps per image (default 30)
    ATELIER_DIFFUSERS_GUIDANCE   classifier-free guidance (default 7.0)
    ATELIER_LORA_RANK        LoRA rank, alpha the same (default 8)
    ATELIER_LORA_LEARNING_RATE   AdamW learning rate (default 1e-4)
    ATELIER_LORA_CACHE       styles' LoRAs kept loaded at once (default 4)

The artefact is the LoRA's UNet weights in safetensors, diffusers' key names, with the engine's config as JSON
in the file's own metadata (key "atelier"): one file, readable by any safetensors tool. A LoRA fits any base
with the same UNet architecture (the config's "architecture" fingerprint), as a LoRA for SD 1.5 fits its
fine-tunes. Training is repeatable: the same images, tags and settings give the same LoRA on the same device.

Pictures are drawn with their short side at the base's resolution (where it composes well: SD 1.5 repeats
its subject at 1024 px) and resized to the size the job asks for.
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
from PIL import Image, ImageOps
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors
from torch.nn.functional import mse_loss

from worker.engines.base import Artefact, Engine, EngineError, TrainingParams
from worker.pictures import UnreadablePicture, open_training_image

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
    attention_slicing: bool = False

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
            attention_slicing=environ.get("ATELIER_DIFFUSERS_ATTENTION_SLICING", "0") == "1",
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
        if self.settings.attention_slicing:
            self.pipeline.enable_attention_slicing()
        self.resolution = self.pipeline.unet.config.sample_size * self.pipeline.vae_scale_factor
        self.architecture = architecture(self.pipeline.unet.config)
        self._loaded: OrderedDict[str, str] = OrderedDict()  # artefact digest -> adapter name, oldest first

    # --- training ---

    def train(self, images: Sequence[bytes], params: TrainingParams, progress: Callable[[int], None]) -> Artefact:
        pixels = self._pixels(images)
        pipe, settings = self.pipeline, self.settings
        caption = ", ".join(params.captions)
        digest = hashlib.sha256(b"".join(hashlib.sha256(image).digest() for image in images)).digest()
        seed = int.from_bytes(digest[:8], "big")
        generator = torch.Generator().manual_seed(seed)
        noise_scheduler = DDPMScheduler.from_config(pipe.scheduler.config)
        unet = pipe.unet
        with torch.random.fork_rng(devices=[]):  # the LoRA's first weights from the set, not the global RNG
            torch.manual_seed(seed)
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
            # fp16 gradients of a mean-squared loss underflow without scaling; on the CPU it is a no-op
            scaler = torch.amp.GradScaler(settings.device.split(":")[0], enabled=settings.fp16)
            with torch.no_grad():
                ids = pipe.tokenizer(
                    [caption], padding="max_length", max_length=pipe.tokenizer.model_max_length, truncation=True,
                    return_tensors="pt",
                ).input_ids.to(settings.device)
                context = pipe.text_encoder(ids)[0]
            epochs = max(1, params.num_epochs)
            total = epochs * len(pixels)
            unet.train()
            for step in range(total):
                loss = self._step(pixels[step % len(pixels)], context, noise_scheduler, generator)
                if not torch.isfinite(loss):
                    raise EngineError(
                        "Training diverged (the loss became infinite). Train again with a lower learning rate "
                        "(ATELIER_LORA_LEARNING_RATE) or without fp16."
                    )
                scaler.scale(loss).backward()
                scaler.unscale_(optimiser)
                torch.nn.utils.clip_grad_norm_(trainable, 1.0)
                scaler.step(optimiser)
                scaler.update()
                optimiser.zero_grad(set_to_none=True)
                progress(math.floor(100 * (step + 1) / total))
            weights = convert_state_dict_to_diffusers(get_peft_model_state_dict(unet, adapter_name=TRAINING_ADAPTER))
        finally:
            unet.eval()
            unet.delete_adapters(TRAINING_ADAPTER)  # generate() sets the adapter it draws with each time
        config = {
            "kind": KIND, "version": VERSION, "base": settings.base, "architecture": self.architecture,
            "resolution": self.resolution,
            "rank": settings.rank, "alpha": settings.rank, "target_modules": list(TARGET_MODULES),
            "epochs": epochs, "steps": total, "image_count": len(images), "caption": caption,
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
        for index, data in enumerate(images):
            try:
                image = open_training_image(data, index, len(images), draft_side=size)
            except UnreadablePicture as exc:
                raise EngineError(str(exc)) from exc
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
        drawn_width, drawn_height = self.drawing_size(width, height)
        image = self.pipeline(
            prompt=", ".join(prompt_tags), width=drawn_width, height=drawn_height,
            num_inference_steps=self.settings.steps, guidance_scale=self.settings.guidance,
            generator=torch.Generator().manual_seed(seed),  # on the CPU: the same noise on every device
        ).images[0]
        if image.size != (width, height):
            image = image.resize((width, height), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        image.save(out, "PNG")
        return out.getvalue()

    def drawing_size(self, width: int, height: int) -> tuple[int, int]:
        """The size to draw at: the short side at the base's resolution, the ratio kept, multiples of 8."""
        scale = self.resolution / min(width, height)
        return tuple(max(8, round(side * scale / 8) * 8) for side in (width, height))

    def _adapter(self, artefact: bytes) -> str:
        """The adapter name of this artefact's LoRA, loading it (and unloading the least recently used) if new."""
        digest = hashlib.sha256(artefact).hexdigest()
        if digest in self._loaded:
            self._loaded.move_to_end(digest)
            return self._loaded[digest]
        config = read_config(artefact)
        if config.get("architecture") != self.architecture:
            raise EngineError(
                "This style was trained on a base model of another architecture than this worker's; "
                "train the style again, or have it drawn by a worker with its base."
            )
        name = f"style-{digest[:16]}"
        try:
            self.pipeline.load_lora_weights(load_safetensors(artefact), adapter_name=name)
        except (ValueError, RuntimeError, KeyError) as exc:
            raise EngineError("This style's trained model does not fit this worker's base; train it again.") from exc
        self._loaded[digest] = name
        while len(self._loaded) > self.settings.cache:
            _, oldest = self._loaded.popitem(last=False)
            self.pipeline.delete_adapters(oldest)
        return name


def architecture(unet_config) -> str:
    """A fingerprint of the UNet's shape: a LoRA trained on one base fits another with the same one."""
    shape = {key: unet_config[key] for key in sorted(unet_config) if not key.startswith("_")}
    return hashlib.sha256(json.dumps(shape, sort_keys=True, default=str).encode()).hexdigest()[:16]


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
