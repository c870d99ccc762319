from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Sum, Value
from django.db.models.functions import Coalesce


@dataclass(frozen=True)
class BrokenAccount:
    user_id: int
    username: str
    balance: int
    ledger_sum: int


def ledger_find_broken_accounts() -> list[BrokenAccount]:
    """Accounts whose stored balance differs from the sum of their ledger rows."""
    users = (
        get_user_model()
        .objects.annotate(ledger_sum=Coalesce(Sum("ledger_entries__amount"), Value(0)))
        .order_by("pk")
        .values_list("pk", "username", "token_balance", "ledger_sum")
    )
    return [BrokenAccount(*row) for row in users if row[2] != row[3]]
