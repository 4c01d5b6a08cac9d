"""Chroma, embedded (PersistentClient under the data dir) or a server (HttpClient)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from coach.errors import ConfigError
from coach.settings import Settings

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

COLLECTION_METADATA = {"hnsw:space": "cosine"}


def chroma_client(settings: Settings) -> ClientAPI:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        try:
            return chromadb.HttpClient(
                host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings
            )
        except Exception as exc:  # chromadb raises bare ValueError/ConnectionError variants
            raise ConfigError(
                f"The Chroma server at {settings.chroma_host}:"
                f"{settings.chroma_port} is not reachable ({exc})."
            ) from exc
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)


def knowledge_collection(settings: Settings, client: ClientAPI | None = None) -> Collection:
    client = client or chroma_client(settings)
    # No embedding function: we always pass our own vectors, so Chroma never downloads one.
    return client.get_or_create_collection(
        settings.collection, metadata=COLLECTION_METADATA, embedding_function=None
    )


def questions_collection(settings: Settings, client: ClientAPI | None = None) -> Collection:
    """The documents' example questions, one entry each, kept in step with the passages."""
    client = client or chroma_client(settings)
    return client.get_or_create_collection(
        f"{settings.collection}-questions", metadata=COLLECTION_METADATA, embedding_function=None
    )
