"""Is everything the app needs working? The database, the knowledge index, the model backend,
the MI coder and the safety guard, each with a status and, on failure, the fix.

``mie-coach doctor`` runs every check in full (the model writes a word); the web app's
``/health`` endpoint runs the quick form (the model answers a listing or is loaded), so a load
balancer can poll it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from coach.errors import CoachError
from coach.settings import Settings, mask_url


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str  # what was found, or what failed
    fix: str = ""  # what to do about a failure
    ms: float = 0.0

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _database(settings: Settings, deep: bool) -> str:
    from sqlalchemy import func, select, text

    from coach.storage.db import database_url, open_database
    from coach.storage.tables import MessageRow, SessionRow

    factory = open_database(settings)
    with factory() as db:
        db.execute(text("select 1"))
        sessions = db.scalar(select(func.count()).select_from(SessionRow))
        streaming = db.scalar(
            select(func.count()).select_from(MessageRow).where(MessageRow.status == "streaming")
        )
    where = mask_url(database_url(settings))
    extra = f", {streaming} reply(ies) streaming now" if streaming else ""
    return f"{where}: {sessions} session(s){extra}"


def _index(settings: Settings, deep: bool) -> str:
    from coach.knowledge.vectorstore import knowledge_collection

    chunks = knowledge_collection(settings).count()
    if not chunks:
        raise CoachError("the knowledge index is empty")
    where = (
        f"Chroma server {settings.chroma_host}:{settings.chroma_port}"
        if settings.chroma_host
        else f"Chroma at {settings.chroma_dir}"
    )
    return f"{where}: {chunks} passages in '{settings.collection}'"


def _model(settings: Settings, deep: bool) -> str:
    from langchain_core.messages import HumanMessage

    from coach.llm.backends import backend_error, get_chat_model

    name = f"{settings.llm_backend} backend, model {settings.model}"
    try:
        model = get_chat_model(settings)
        if deep:
            reply = model.invoke([HumanMessage("Say OK.")], max_tokens=3, temperature=0)
            return f"{name}: answered {str(reply.content).strip()[:20]!r}"
        if settings.llm_backend == "embedded":
            _ = model.llama  # type: ignore[attr-defined]  # loads once per process; no generation
            return f"{name}: loaded"
        import openai

        key = settings.api_key.get_secret_value() if settings.api_key else "not-needed"
        client = openai.OpenAI(base_url=settings.base_url, api_key=key, timeout=5.0, max_retries=0)
        return f"{name}: the server lists {len(client.models.list().data)} model(s)"
    except Exception as exc:  # every failure becomes the backend's one sentence
        raise CoachError(str(backend_error(exc, settings))) from None


def _coder(settings: Settings, deep: bool) -> str:
    from coach.coder import code_conversation
    from coach.coder.codes import Miti

    coded = code_conversation(
        [("client", "I keep thinking about the session."), ("therapist", "What stays with you?")]
    )
    codes = coded.utterances[1].miti_codes
    if Miti.QUESTION not in codes:
        raise CoachError(f"coded an open question as {[c.value for c in codes]}")
    return "an open question is coded as a question"


def _guard(settings: Settings, deep: bool) -> str:
    if not settings.safety_guard:
        return "off (MIE_SAFETY_GUARD=false): risk messages are not escalated"
    from coach.supervisor.guard import Guard

    found = Guard().screen("My client told me she wants to end her life this weekend.")
    if not found:
        raise CoachError("a clear suicide-risk message was not flagged")
    return f"a risk message is flagged ({found[0].category})"


FIXES = {
    "database": "Check MIE_DATABASE_URL and that the database server is running.",
    "index": "Run `mie-coach ingest` (or `make index`) to build the knowledge index.",
    "model": "Run `make install` for the embedded model, or check MIE_BASE_URL, MIE_MODEL "
    "and MIE_API_KEY for a server.",
    "coder": "Reinstall (`make install`): the coder's weights ship in the package.",
    "guard": "Reinstall (`make install`): the guard's weights ship in the package.",
}
CHECKS: dict[str, Callable[[Settings, bool], str]] = {
    "database": _database,
    "index": _index,
    "model": _model,
    "coder": _coder,
    "guard": _guard,
}


def run_checks(settings: Settings, deep: bool = True) -> list[Check]:
    results = []
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            detail, ok, fix = check(settings, deep), True, ""
        except Exception as exc:  # a check never raises: it reports
            detail, ok, fix = _sentence(exc), False, FIXES[name]
        ms = round((time.perf_counter() - started) * 1000, 1)
        results.append(Check(name, ok, detail, fix, ms))
    return results


def _sentence(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:300]
