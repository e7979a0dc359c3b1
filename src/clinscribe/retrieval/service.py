"""Index a document's pages for search, forget them, and search a patient's chunks.

`index_document` is called by the extraction job once a document's pages are stored, and
`forget_document` by the document erase, both inside the caller's transaction. Search ranks
the patient's chunks by reciprocal-rank fusion of the database's full-text ranking (SQLite
FTS5 / PostgreSQL tsvector over blind-hashed terms) and exact cosine over their vectors.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from sqlalchemy import delete, text
from sqlalchemy import null as sa_null
from sqlalchemy.orm import Session

from clinscribe.audit import service as audit
from clinscribe.db.models.documents import Document
from clinscribe.db.models.retrieval import RetrievalChunk
from clinscribe.db.sealed import FieldCipher, cipher_of_session
from clinscribe.documents.core.pages import PageText
from clinscribe.errors import NotFound
from clinscribe.records import patients
from clinscribe.retrieval import core, vectors
from clinscribe.retrieval.schemas import SearchHit, SearchResults
from clinscribe.security.principal import Principal
from clinscribe.security.scoping import readable

# How deep each ranking goes before fusion; more than any k a caller may ask for.
DEPTH = 100
SNIPPET_CHARS = 400
_TERM_HASH_CHARS = 16


@lru_cache(maxsize=1)
def embedder() -> core.MiniLmEmbedder:
    """The process's embedder, loaded on first use (about 25 MB of ONNX weights)."""
    return core.MiniLmEmbedder()


def term_tokens(cipher: FieldCipher, tenant_id: str, text_: str) -> list[str]:
    """The words of `text_` as tenant-keyed blind hashes, each a plain ASCII word."""
    return [
        "h" + cipher.blind("retrieval.term", f"{tenant_id}|{term}")[:_TERM_HASH_CHARS]
        for term in core.lexical_terms(text_)
    ]


def _fts_delete(session: Session, document_id: str) -> None:
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            text(
                "DELETE FROM retrieval_chunks_fts WHERE chunk_id IN "
                "(SELECT id FROM retrieval_chunks WHERE document_id = :d)"
            ),
            {"d": document_id},
        )


def forget_document(session: Session, document_id: str) -> int:
    """Remove a document's chunks, vectors and full-text rows; the number of chunks removed."""
    _fts_delete(session, document_id)
    result = session.execute(
        delete(RetrievalChunk).where(RetrievalChunk.document_id == document_id)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def index_document(
    session: Session,
    document_id: str,
    pages: Sequence[PageText],
    *,
    model: core.MiniLmEmbedder | None = None,
) -> int:
    """(Re-)index a document's pages: chunks, vectors and full-text terms; the chunk count."""
    document = session.get(Document, document_id)
    if document is None:
        raise NotFound("document not found")
    forget_document(session, document_id)
    chunks = core.chunk_pages(document_id, pages)
    if not chunks:
        return 0
    model = model or embedder()
    matrix = model.embed([c.text for c in chunks])
    cipher = cipher_of_session(session)
    backend = vectors.detect(session)
    rows = []
    for chunk, vector in zip(chunks, matrix, strict=True):
        row = RetrievalChunk(
            tenant_id=document.tenant_id,
            patient_id=document.patient_id,
            document_id=document_id,
            page=chunk.page,
            begin_offset=chunk.begin,
            end_offset=chunk.end,
            ordinal=chunk.ordinal,
            terms=" ".join(term_tokens(cipher, document.tenant_id, chunk.text)),
            embedding=vectors.to_blob(vector),
            model=model.model_id,
        )
        row.text = chunk.text
        rows.append(row)
    session.add_all(rows)
    session.flush()
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        session.execute(
            text(
                "INSERT INTO retrieval_chunks_fts (terms, chunk_id, patient_id) "
                "VALUES (:terms, :chunk_id, :patient_id)"
            ),
            [{"terms": r.terms, "chunk_id": r.id, "patient_id": r.patient_id} for r in rows],
        )
    if backend == "pgvector":
        session.execute(
            text("UPDATE retrieval_chunks SET embedding_vec = CAST(:v AS vector) WHERE id = :id"),
            [
                {"v": vectors.pgvector_literal(v), "id": r.id}
                for r, v in zip(rows, matrix, strict=True)
            ],
        )
    return len(rows)


def _lexical(
    session: Session, patient_id: str, tokens: list[str], candidates: dict[str, str]
) -> dict[str, float]:
    """Full-text scores (higher is better) of the patient's chunks that match any token."""
    if not tokens:
        return {}
    unique = sorted(set(tokens))
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        rows = session.execute(
            text(
                "SELECT chunk_id, -bm25(retrieval_chunks_fts) FROM retrieval_chunks_fts "
                "WHERE retrieval_chunks_fts MATCH :q AND patient_id = :p"
            ),
            {"q": " OR ".join(unique), "p": patient_id},
        ).all()
    elif dialect == "postgresql":
        rows = session.execute(
            text(
                "SELECT id, ts_rank(terms_tsv, to_tsquery('simple', :q)) FROM retrieval_chunks "
                "WHERE patient_id = :p AND terms_tsv @@ to_tsquery('simple', :q)"
            ),
            {"q": " | ".join(unique), "p": patient_id},
        ).all()
    else:  # any other database: BM25 in Python over the stored terms
        ids = list(candidates)
        scores = core.bm25_scores(" ".join(unique), [candidates[i] for i in ids])
        return {i: s for i, s in zip(ids, scores, strict=True) if s > 0}
    return {str(cid): float(score) for cid, score in rows if str(cid) in candidates}


def _vector_scores(
    session: Session, backend: vectors.VectorBackend, ids: list[str], blobs: list[bytes], q: object
) -> dict[str, float]:
    query = np.asarray(q, dtype=np.float32)
    if backend == "pgvector":
        rows = session.execute(
            text(
                "SELECT id, 1 - (embedding_vec <=> CAST(:v AS vector)) FROM retrieval_chunks "
                "WHERE id = ANY(:ids) AND embedding_vec IS NOT NULL"
            ),
            {"v": vectors.pgvector_literal(query), "ids": ids},
        ).all()
        return {str(i): float(s) for i, s in rows}
    matrix = vectors.from_blobs(blobs, core.EMBEDDING_DIM)
    return dict(zip(ids, (float(s) for s in core.cosine_scores(query, matrix)), strict=True))


def search(
    *,
    session: Session,
    principal: Principal,
    patient_id: str,
    query: str,
    k: int,
    model: core.MiniLmEmbedder | None = None,
) -> SearchResults:
    """The top `k` chunks of the patient's documents for `query` (audited; the query is not)."""
    patient = patients.get(
        session=session, principal=principal, patient_id=patient_id, audit_read=False
    )
    # The stored terms are read only where the database cannot rank them itself.
    full_text = session.get_bind().dialect.name in ("sqlite", "postgresql")
    terms_column = sa_null().label("terms") if full_text else RetrievalChunk.terms
    rows = session.execute(
        readable(RetrievalChunk, principal)
        .where(RetrievalChunk.patient_id == patient.id)
        .with_only_columns(RetrievalChunk.id, terms_column, RetrievalChunk.embedding)
    ).all()
    audit.record(
        session,
        action="patient.search",
        principal=principal,
        object_type="patient",
        object_id=patient.id,
    )
    backend = vectors.detect(session)
    if not rows:
        return SearchResults(
            patient_id=patient.id, query=query, k=k, vector_backend=backend, results=[]
        )
    ids = [str(r[0]) for r in rows]
    terms = {str(r[0]): str(r[1] or "") for r in rows}
    model = model or embedder()
    cosine = _vector_scores(session, backend, ids, [r[2] for r in rows], model.embed_one(query))
    tokens = term_tokens(cipher_of_session(session), patient.tenant_id, query)
    lexical = _lexical(session, patient.id, tokens, terms)
    ranked = core.hybrid_rank(
        [lexical.get(i, 0.0) for i in ids], [cosine.get(i, -1.0) for i in ids], k, depth=DEPTH
    )
    top_ids = [ids[r.index] for r in ranked]
    by_id = {
        c.id: c
        for c in session.execute(
            readable(RetrievalChunk, principal).where(RetrievalChunk.id.in_(top_ids))
        ).scalars()
    }
    hits = []
    for r in ranked:
        chunk = by_id[ids[r.index]]
        hits.append(
            SearchHit(
                chunk_id=chunk.id,
                document_id=chunk.document_id,
                page=chunk.page,
                begin=chunk.begin_offset,
                end=chunk.end_offset,
                text=chunk.text[:SNIPPET_CHARS],
                score=r.score,
                lexical_score=round(r.lexical, 4),
                vector_score=round(r.vector, 4),
            )
        )
    return SearchResults(
        patient_id=patient.id, query=query, k=k, vector_backend=backend, results=hits
    )
