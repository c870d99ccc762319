"""Atelier's reference AI worker.

A small CPU program that stands in for a GPU LoRA trainer and a diffusion
model. It implements docs/worker-protocol.md over AMQP and HTTP only and
imports nothing from Atelier: "training" learns a style signature from the
images (signature.py) and "generation" draws a deterministic picture from it
(render.py).
"""
