"""The HuokeError hierarchy, mapped once to HTTP problem+json (API) and exit codes (CLI)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class HuokeError(Exception):
    """Base of every error a user can act on. ``code`` is a stable snake_case identifier."""

    message: str
    code: str = "error"
    details: dict[str, Any] = field(default_factory=dict)

    http_status = 400
    exit_code = 1

    def __str__(self) -> str:
        return self.message


class InvalidInput(HuokeError):
    """Input that breaks a rule: which field, which value, why."""

    http_status = 422


class MalformedRequest(HuokeError):
    """A request that cannot be read at all (malformed JSON): nothing in it was processed."""

    http_status = 400


class NotFound(HuokeError):
    http_status = 404


class Conflict(HuokeError):
    http_status = 409


class ConfigurationError(HuokeError):
    """Settings that make it unsafe or impossible to start."""

    http_status = 500


class Unauthorized(HuokeError):
    http_status = 401


class PayloadTooLarge(HuokeError):
    http_status = 413


def problem(error: HuokeError, *, instance: str | None = None) -> dict[str, Any]:
    """RFC 9457 problem document for an error; never carries a stack trace."""
    doc: dict[str, Any] = {
        "type": f"https://huoke.dev/problems/{error.code}",
        "title": error.code.replace("_", " "),
        "status": error.http_status,
        "detail": error.message,
        "code": error.code,
    }
    if error.details:
        doc["errors"] = error.details
    if instance:
        doc["instance"] = instance
    return doc
