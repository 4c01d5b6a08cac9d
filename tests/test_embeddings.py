import shutil

import numpy as np
import pytest

from coach.errors import ConfigError
from coach.knowledge.embeddings import MiniLMEmbeddings, default_model_files, get_embeddings


def test_vectors_are_normalised_and_semantic():
    model = get_embeddings()
    vectors = model.encode(
        [
            "How do I ask permission before giving my client advice?",
            "What is a good way to check a client wants information before I offer it?",
            "The recipe needs two cups of flour and an egg.",
        ]
    )
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    related, unrelated = vectors[0] @ vectors[1], vectors[0] @ vectors[2]
    assert related > 0.6 > unrelated + 0.3


def test_batching_does_not_change_a_vector():
    model = get_embeddings()
    texts = ["short", "a much longer sentence about integration after a psilocybin session"]
    together = model.encode(texts)
    alone = model.encode(texts[1:])
    assert np.allclose(together[1], alone[0], atol=1e-5)


def test_a_tampered_tokenizer_is_refused(tmp_path):
    model_file, tokenizer_file = default_model_files()
    copy = tmp_path / "tokenizer.json"
    shutil.copy(tokenizer_file, copy)
    copy.write_bytes(copy.read_bytes().replace(b'"[PAD]"', b'"[PAX]"', 1))
    with pytest.raises(ConfigError, match="failed its sha256 check"):
        MiniLMEmbeddings(model_file=model_file, tokenizer_file=copy)
