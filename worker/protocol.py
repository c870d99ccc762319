"""The queue names of the worker protocol (docs/worker-protocol.md): defined once, here.

The web app imports them from marketplace.jobs.queues; the worker needs nothing of Django.
"""

TRAINING_QUEUE = "model_training"
GENERATION_QUEUE = "image_generation"
QUEUES = (TRAINING_QUEUE, GENERATION_QUEUE)
