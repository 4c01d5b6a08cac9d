"""User-facing errors: each carries one clear sentence and never a traceback."""


class CoachError(Exception):
    """An error whose message is fit to show a user as-is."""


class ConfigError(CoachError):
    """The settings, a model file or a backend are not usable."""


class InputError(CoachError):
    """What the user sent (a message, a file) is not acceptable."""


class KnowledgeError(InputError):
    """A knowledge file cannot be read; the message names the file and line."""
