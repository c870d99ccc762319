from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "marketplace.jobs"
    label = "jobs"

    def ready(self) -> None:
        from marketplace.core.health import register_check
        from marketplace.jobs.health import check_broker

        register_check("broker", check_broker)

        from marketplace.jobs import metrics

        metrics.register()
