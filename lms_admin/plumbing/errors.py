from django.core.exceptions import PermissionDenied


class DomainError(Exception):
    """A change that the rules do not allow. The message is shown to people as it is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self):
        return self.message


class NotPermitted(DomainError, PermissionDenied):
    """The person asking may not make this change (e.g. a power user and an admin account).

    A DomainError, so faces show its plain message; a PermissionDenied, so a page that lets
    it through answers 403."""
