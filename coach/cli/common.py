"""Helpers shared by the CLI modules: settings loading and one-sentence failures."""

from __future__ import annotations

import os
import sys
from typing import NoReturn

from pydantic import ValidationError

from coach.errors import ConfigError
from coach.settings import Settings

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


def fail(message: str, code: int = 2) -> NoReturn:
    sys.stderr.write(f"Error: {message}\n")
    raise SystemExit(code)


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment and .env; a bad value is one clear sentence."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        err = exc.errors()[0]
        name = "MIE_" + str(err["loc"][0]).upper() if err["loc"] else "a MIE_ setting"
        reason = err["msg"].removeprefix("Value error, ")  # pydantic's prefix for validators
        raise ConfigError(f"{name} is invalid: {reason}.") from None
