"""Code run in child processes by the multi-process ledger tests (spawned, so importable)."""

import os


def init_child(db_name: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connections

    # The parent runs against pytest-django's test database; so must we.
    connections["default"].settings_dict["NAME"] = db_name


def debit_many(user_id: int, count: int, amount: int, prefix: str) -> tuple[int, int]:
    from django.db import connections

    from marketplace.ledger.exceptions import InsufficientTokens
    from marketplace.ledger.services import ledger_debit

    ok = refused = 0
    for i in range(count):
        try:
            ledger_debit(user_id=user_id, amount=amount, reason="load", idempotency_key=f"{prefix}:{i}")
            ok += 1
        except InsufficientTokens:
            refused += 1
    connections.close_all()
    return ok, refused
