from django.apps import AppConfig


class GenerationsConfig(AppConfig):
    name = "marketplace.generations"
    label = "generations"

    def ready(self) -> None:
        from marketplace.generations import services  # noqa: F401  (registers the timeout sweep)
