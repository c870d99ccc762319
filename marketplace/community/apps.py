from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "marketplace.community"
    label = "community"
