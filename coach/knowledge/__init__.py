"""The knowledge base: documents, their index in the vector store, embeddings, retrieval,
grounding checks and retrieval evaluation."""
