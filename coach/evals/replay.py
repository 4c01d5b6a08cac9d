"""Replay mode's input: recorded conversations as JSON Lines (format in ``eval/README.md``),
from a file of given replies or exported from the app's own logs."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from coach.errors import InputError, first_problem
from coach.evals.records import SourceRecord
from coach.files import read_utf8
from coach.settings import Settings


class RecordedTurn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    trainee: str = Field(min_length=1)
    supervisor: str
    sources: list[SourceRecord] = []
    seconds: float | None = Field(None, ge=0)
    first_token_seconds: float | None = Field(None, ge=0)
    status: str = "complete"


class RecordedConversation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str | None = None
    suite: str | None = None
    scenario: str | None = None  # score with this scenario's checks; else the suite defaults
    focus: str = "open"
    turns: list[RecordedTurn] = Field(min_length=1)
    line: int = Field(0, exclude=True)


def load_replay(path: Path) -> list[RecordedConversation]:
    """Parse every line before anything is scored; a bad line is one sentence naming it."""
    out = []
    for number, line in enumerate(read_utf8(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}, line {number}: not valid JSON ({exc.msg}).") from None
        if not isinstance(data, dict):
            raise InputError(f"{path}, line {number}: each line must be a JSON object.")
        try:
            conversation = RecordedConversation.model_validate(data)
        except ValidationError as exc:
            field, problem = first_problem(exc, "line")
            raise InputError(f"{path}, line {number}: {field}: {problem}.") from None
        conversation.line = number
        out.append(conversation)
    if not out:
        raise InputError(f"{path} holds no conversations.")
    return out


def export_logs(
    settings: Settings, session_ids: list[str] | None = None, suite: str | None = None
) -> list[RecordedConversation]:
    """Conversations logged by the app or the CLI, in replay form. Passages are looked up in
    the index by document and heading, so grounding can be checked against their text."""
    from coach.knowledge.vectorstore import knowledge_collection
    from coach.storage.db import open_database
    from coach.storage.store import Store

    store = Store(open_database(settings))
    ids = session_ids or store.session_ids()
    collection = knowledge_collection(settings)
    out = []
    for session_id in ids:
        store.require_session(session_id)
        focus, rows = store.session_focus(session_id), store.messages(session_id)
        turns, pending = [], None
        for row in rows:
            if row.role == "trainee":
                pending = row
                continue
            if pending is None:
                continue
            timings = row.timings_ms or {}
            turns.append(
                RecordedTurn(
                    trainee=pending.content,
                    supervisor=row.content,
                    status=row.status,
                    sources=[_passage(collection, s) for s in row.sources or []],
                    seconds=timings["total"] / 1000 if "total" in timings else None,
                    first_token_seconds=timings["first_token"] / 1000
                    if "first_token" in timings
                    else None,
                )
            )
            pending = None
        if turns:
            out.append(RecordedConversation(id=session_id, suite=suite, focus=focus, turns=turns))
    return out


def _passage(collection, source: dict) -> SourceRecord:
    where = {"$and": [{"doc_id": source["id"]}, {"heading": source.get("heading", "")}]}
    found = collection.get(where=where, include=["documents"])
    return SourceRecord(
        doc_id=source["id"],
        title=source.get("title", ""),
        heading=source.get("heading", ""),
        score=source.get("score"),
        text="\n".join(found["documents"] or []),
    )
