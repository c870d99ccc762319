from django.utils.translation import gettext as _

from marketplace.core.exceptions import ServiceError


class InsufficientTokens(ServiceError):
    code = "insufficient_tokens"

    def __init__(self, *, needed: int, available: int) -> None:
        super().__init__(
            _("This needs %(needed)s tokens but your balance is %(available)s.")
            % {"needed": needed, "available": available}
        )
        self.needed = needed
        self.available = available


class IdempotencyConflict(ServiceError):
    code = "idempotency_conflict"
