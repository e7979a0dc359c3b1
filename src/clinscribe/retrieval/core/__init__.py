"""The pure part of retrieval: chunking pages, embedding text, lexical and hybrid ranking."""

from clinscribe.retrieval.core.chunking import Chunk, chunk_pages
from clinscribe.retrieval.core.embedder import (
    EMBEDDING_DIM,
    MAX_TOKENS,
    MiniLmEmbedder,
    default_model_path,
)
from clinscribe.retrieval.core.ranking import (
    Ranked,
    bm25_scores,
    cosine_scores,
    hybrid_rank,
    lexical_terms,
    reciprocal_rank_fusion,
)

__all__ = [
    "EMBEDDING_DIM",
    "MAX_TOKENS",
    "Chunk",
    "MiniLmEmbedder",
    "Ranked",
    "bm25_scores",
    "chunk_pages",
    "cosine_scores",
    "default_model_path",
    "hybrid_rank",
    "lexical_terms",
    "reciprocal_rank_fusion",
]
