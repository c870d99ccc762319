"""The queue names of the worker protocol (docs/worker-protocol.md): defined once, here.

The web app imports them from marketplace.jobs.queues; the worker needs nothing of Django.
"""

TRAINING_QUEUE = "model_training"
GENERATION_QUEUE = "image_generation"
QUEUES = (TRAINING_QUEUE, GENERATION_QUEUE)
# A generation message's aspect_ratio -> the (width, height) an engine draws; Atelier prices by the same table.
ASPECT_RATIOS = {"1:1": (512, 512), "1:2": (512, 1024), "2:2": (1024, 1024)}
