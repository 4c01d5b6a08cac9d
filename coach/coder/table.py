"""CSV in and out for ``mie-coach code``: strict validation first, output written atomically."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from coach.errors import InputError
from coach.files import read_utf8

REQUIRED = ("conversation_id", "speaker", "text")
SPEAKERS = ("therapist", "client")
ADDED = ("behaviour", "miti_codes", "question_type", "reflection_type", "talk_type")


@dataclass
class Table:
    columns: list[str]
    rows: list[dict[str, str]]

    def conversations(self) -> dict[str, list[int]]:
        """conversation_id -> row indexes, in first-seen order; row order is utterance order."""
        groups: dict[str, list[int]] = {}
        for i, row in enumerate(self.rows):
            groups.setdefault(row["conversation_id"], []).append(i)
        return groups


def read_table(path: Path) -> Table:
    """Read and validate the whole file; any problem names the row and column."""
    text = read_utf8(path)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = list(reader.fieldnames or [])
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise InputError(
            f"{path}: the required column '{missing[0]}' is missing (expected "
            f"{', '.join(REQUIRED)})."
        )
    clash = [c for c in ADDED if c in columns]
    if clash:
        raise InputError(
            f"{path}: the column '{clash[0]}' would be overwritten by the coder's "
            "output; rename it."
        )
    rows: list[dict[str, str]] = []
    for number, row in enumerate(reader, start=1):
        where = f"{path}, row {number} (line {reader.line_num})"
        if None in row:
            raise InputError(f"{where}: the row has more fields than the header.")
        for column in REQUIRED:
            if row[column] is None:
                raise InputError(f"{where}, column '{column}': the value is missing.")
        speaker = row["speaker"].strip().lower()
        if speaker not in SPEAKERS:
            raise InputError(
                f"{where}, column 'speaker': unknown value '{row['speaker']}' "
                "(use therapist or client)."
            )
        if not row["text"].strip():
            raise InputError(f"{where}, column 'text': the text is empty.")
        if not row["conversation_id"].strip():
            raise InputError(f"{where}, column 'conversation_id': the value is empty.")
        rows.append(row | {"speaker": speaker})
    if not rows:
        raise InputError(f"{path}: the file has a header but no rows.")
    return Table(columns=columns, rows=rows)


def render_table(table: Table) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*table.columns, *ADDED], lineterminator="\n")
    writer.writeheader()
    writer.writerows(table.rows)
    return out.getvalue()
