class DomainError(Exception):
    """A change that the rules do not allow. The message is shown to people as it is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self):
        return self.message
