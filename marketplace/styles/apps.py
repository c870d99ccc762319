from django.apps import AppConfig


class StylesConfig(AppConfig):
    name = "marketplace.styles"
    label = "styles"

    def ready(self) -> None:
        from marketplace.styles import services  # noqa: F401  (registers the training timeout sweep)
