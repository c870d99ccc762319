from django.apps import AppConfig


class StylesConfig(AppConfig):
    name = "marketplace.styles"
    label = "styles"
