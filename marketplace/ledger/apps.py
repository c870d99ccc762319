from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "marketplace.ledger"
    label = "ledger"

    def ready(self) -> None:
        from marketplace.ledger import services  # noqa: F401  (registers the payment reconciliation sweep)
