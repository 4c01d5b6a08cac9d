"""Document-level retrieval quality: recall@1, recall@3 and MRR over labelled questions."""

from __future__ import annotations

import time
from pathlib import Path

import yaml
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from coach.errors import InputError, first_problem
from coach.files import read_utf8
from coach.knowledge.retriever import Mode, Retriever
from coach.settings import Settings

DEPTH = 20  # chunks fetched per question; documents are ranked by their best chunk


class Question(BaseModel):
    question: str = Field(min_length=5)
    relevant: list[str] = Field(min_length=1)


class ModeScores(BaseModel):
    mode: str
    recall_at_1: float
    recall_at_3: float
    mrr: float
    ms_per_query: float
    misses: list[str]


def load_questions(path: Path, known_ids: set[str]) -> list[Question]:
    try:
        questions = TypeAdapter(list[Question]).validate_python(yaml.safe_load(read_utf8(path)))
    except yaml.YAMLError as exc:
        raise InputError(f"{path} is not valid YAML ({exc}).") from None
    except ValidationError as exc:
        where, problem = first_problem(exc, "list")
        raise InputError(f"{path}: entry {where}: {problem}.") from None
    for number, q in enumerate(questions, start=1):
        unknown = [d for d in q.relevant if d not in known_ids]
        if unknown:
            raise InputError(f"{path}: question {number} names an unknown document '{unknown[0]}'.")
    return questions


def ranked_documents(retriever: Retriever, mode: Mode, query: str) -> list[str]:
    passages = getattr(retriever, mode)(query, DEPTH)
    return list(dict.fromkeys(p.doc_id for p in passages))


PASSAGES_ONLY = "hybrid, passages only"


def evaluate(settings: Settings, questions: list[Question]) -> list[ModeScores]:
    """Every retriever on the same index: BM25, dense, the example questions alone, hybrid
    without and with the example questions (the last is what the configured hybrid does)."""
    retriever = Retriever(settings)
    retriever.bm25("warm up", 1)  # build the BM25 indexes outside the timing
    retriever.questions("warm up", 1)
    retriever.dense("warm up", 1)
    passages_only = Retriever(settings.model_copy(update={"retrieval_questions": False}))
    passages_only.bm25("warm up", 1)
    runs: list[tuple[str, Retriever, Mode]] = [
        ("bm25", retriever, "bm25"),
        ("dense", retriever, "dense"),
        ("questions", retriever, "questions"),
        (PASSAGES_ONLY, passages_only, "hybrid"),
    ]
    if settings.retrieval_questions:
        runs.append(("hybrid", retriever, "hybrid"))
    return [score(label, r, mode, questions) for label, r, mode in runs]


def score(label: str, retriever: Retriever, mode: Mode, questions: list[Question]) -> ModeScores:
    hits1 = hits3 = 0
    reciprocal = 0.0
    misses = []
    start = time.perf_counter()
    for q in questions:
        docs = ranked_documents(retriever, mode, q.question)
        rank = next((i for i, d in enumerate(docs, 1) if d in q.relevant), None)
        hits1 += rank == 1
        hits3 += rank is not None and rank <= 3
        reciprocal += 1 / rank if rank else 0.0
        if rank is None or rank > 3:
            misses.append(q.question)
    elapsed = (time.perf_counter() - start) * 1000 / len(questions)
    n = len(questions)
    return ModeScores(
        mode=label,
        recall_at_1=round(hits1 / n, 3),
        recall_at_3=round(hits3 / n, 3),
        mrr=round(reciprocal / n, 3),
        ms_per_query=round(elapsed, 1),
        misses=misses,
    )
