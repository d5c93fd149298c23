"""Domain errors raised by services; views and the API map each to one response.

ActionRefused → 400 / form errors (names the field), NotPermitted → 403, InvalidTransition → 409.
"""

from django.core.exceptions import ValidationError


class DomainError(Exception):
    status = 400


class ActionRefused(DomainError):
    """Bad input or a broken business rule. `errors` maps field names to messages."""

    status = 400

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}

    @classmethod
    def from_validation_error(cls, exc: ValidationError) -> "ActionRefused":
        if hasattr(exc, "error_dict"):
            errors = {field: [str(m) for m in msgs] for field, msgs in exc.message_dict.items()}
            first = next(iter(errors.values()))[0] if errors else str(exc)
            return cls(first, errors)
        return cls("; ".join(str(m) for m in exc.messages))


class NotPermitted(DomainError):
    status = 403

    def __init__(self, message: str = "You are not allowed to do this.") -> None:
        super().__init__(message)
        self.message = message


class InvalidTransition(DomainError):
    status = 409

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
