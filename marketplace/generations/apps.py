from django.apps import AppConfig


class GenerationsConfig(AppConfig):
    name = "marketplace.generations"
    label = "generations"
