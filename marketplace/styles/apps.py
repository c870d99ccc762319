from django.apps import AppConfig


class StylesConfig(AppConfig):
    name = "marketplace.styles"
    label = "styles"

    def ready(self) -> None:
        from marketplace.jobs.metrics import register_lifecycle
        from marketplace.jobs.queues import TRAINING_QUEUE
        from marketplace.styles import services  # noqa: F401  (registers the training timeout sweep)
        from marketplace.styles.models import TRAINING_LIFECYCLE

        register_lifecycle(TRAINING_LIFECYCLE, queue=TRAINING_QUEUE)
