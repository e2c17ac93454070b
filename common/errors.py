"""Domain errors. Services raise them; the API layer maps them to a 4xx with their code."""


class DomainError(Exception):
    """A refusal a person can act on. `code` is stable for clients, `message` is for people."""

    code = "domain_error"
    status_code = 400

    def __init__(self, message: str, *, code: str | None = None, fields: dict | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.fields = fields or {}


class InvalidCredentials(DomainError):
    code = "invalid_credentials"


class AlreadyExists(DomainError):
    code = "already_exists"
    status_code = 409


class NotFound(DomainError):
    """Missing, or not the caller's: another person's private things do not exist for them."""

    code = "not_found"
    status_code = 404
