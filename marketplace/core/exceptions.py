class ServiceError(Exception):
    """A business rule was broken; the message is fit to show a person."""

    code = "service_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class NotAllowed(ServiceError):
    """The person asking may not do this (not the owner, not staff); views usually refuse earlier with a 403."""

    code = "forbidden"
