from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "marketplace.ledger"
    label = "ledger"

    def ready(self) -> None:
        from marketplace.core.metrics import register_gauge
        from marketplace.ledger import services  # noqa: F401  (registers the payment reconciliation sweep)
        from marketplace.ledger.selectors import ledger_movements_by_kind

        register_gauge(
            "atelier_ledger_movements", "Ledger entries and the tokens they moved, by kind (all time).",
            ("kind", "measure"), ledger_movements_by_kind,
        )
