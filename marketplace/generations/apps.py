from django.apps import AppConfig


class GenerationsConfig(AppConfig):
    name = "marketplace.generations"
    label = "generations"

    def ready(self) -> None:
        from marketplace.generations import services  # noqa: F401  (registers the timeout sweep)
        from marketplace.generations.models import GENERATION_LIFECYCLE
        from marketplace.jobs.metrics import register_lifecycle
        from marketplace.jobs.queues import GENERATION_QUEUE

        register_lifecycle(GENERATION_LIFECYCLE, queue=GENERATION_QUEUE)
