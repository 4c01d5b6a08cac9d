"""User-facing errors: each carries one clear sentence and never a traceback."""

from __future__ import annotations

from pydantic import ValidationError


class CoachError(Exception):
    """An error whose message is fit to show a user as-is."""


class ConfigError(CoachError):
    """The settings, a model file or a backend are not usable."""


class BackendError(CoachError):
    """The model server failed this request (an error status, a timeout, a broken stream);
    the settings may be fine and a later try may work."""


class InputError(CoachError):
    """What the user sent (a message, a file) is not acceptable."""


class KnowledgeError(InputError):
    """A knowledge file cannot be read; the message names the file and line."""


def first_problem(exc: ValidationError, whole: str) -> tuple[str, str]:
    """The first validation error as (dotted field path, message); ``whole`` names the thing
    when the error is not about one field."""
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"]) or whole
    return field, err["msg"].removeprefix("Value error, ")
