from django.utils.translation import ngettext

from marketplace.core.exceptions import ServiceError


class PriceChanged(ServiceError):
    """The style's price is no longer the one the buyer was shown; nothing was charged."""

    code = "price_changed"

    def __init__(self, *, quoted: int, current: int) -> None:
        super().__init__(
            ngettext(
                "The price changed from %(quoted)s to %(current)s token; confirm to continue.",
                "The price changed from %(quoted)s to %(current)s tokens; confirm to continue.",
                current,
            ) % {"quoted": quoted, "current": current}
        )
        self.quoted = quoted
        self.current = current
