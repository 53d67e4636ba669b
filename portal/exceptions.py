"""Domain exceptions raised by services; pages turn them into messages, the API into JSON errors."""


class DomainError(Exception):
    """A rule of the domain forbids this action; ``message`` says why in words a user can act on."""

    status_code = 400
    code = "domain_error"

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class TransitionNotAllowed(DomainError):
    """The record is not in a state that allows this action, or someone acted first."""

    status_code = 409
    code = "transition_not_allowed"
