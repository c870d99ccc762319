from django.apps import AppConfig


class MediaConfig(AppConfig):
    name = "marketplace.media"
    label = "media"
