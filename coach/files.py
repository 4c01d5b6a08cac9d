"""Reading user-supplied text files with errors that name the file and line, and writing
output files all-or-nothing."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from coach.errors import InputError


def read_utf8(path: Path, error: type[InputError] = InputError) -> str:
    """The file's text; a missing file or a non-UTF-8 byte is one sentence naming the line."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise error(f"{path} cannot be read ({exc.strerror}).") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise error(f"{path}, line {line}: the file is not valid UTF-8.") from exc


def write_atomically(path: Path, content: str) -> None:
    """Write via a temporary file in the same folder, so a failure leaves no partial output."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
