"""The broker's queue names, as the worker protocol defines them."""

from worker.protocol import GENERATION_QUEUE, QUEUES, TRAINING_QUEUE

__all__ = ["GENERATION_QUEUE", "QUEUES", "TRAINING_QUEUE"]
