"""Dense retrieval over the knowledge index through LangChain's Chroma integration."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from coach.settings import Settings
from coach.vectorstore import chroma_client, knowledge_collection


@dataclass(frozen=True)
class Passage:
    chunk_id: str
    doc_id: str
    title: str
    heading: str
    text: str
    score: float  # cosine similarity in [-1, 1]; higher is closer

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


class Retriever:
    """Finds the knowledge passages closest to a query."""

    def __init__(self, settings: Settings) -> None:
        from langchain_chroma import Chroma

        from coach.embeddings import get_embeddings

        self.settings = settings
        client = chroma_client(settings)
        self.collection = knowledge_collection(settings, client)
        if self.collection.count() == 0:
            from coach.index import ingest

            ingest(settings)  # first use: build the index rather than answer ungrounded
        self.store = Chroma(
            client=client,
            collection_name=settings.collection,
            embedding_function=get_embeddings(),
            collection_metadata={"hnsw:space": "cosine"},
        )

    def search(self, query: str, k: int | None = None) -> list[Passage]:
        hits = self.store.similarity_search_with_score(query, k=k or self.settings.retrieval_k)
        return [
            Passage(
                chunk_id=str(doc.id),
                doc_id=doc.metadata["doc_id"],
                title=doc.metadata["title"],
                heading=doc.metadata.get("heading", ""),
                text=doc.page_content,
                score=round(1.0 - float(distance), 4),
            )
            for doc, distance in hits
        ]
