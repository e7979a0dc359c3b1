"""Index a document's pages for search, forget them, and search a patient's chunks.

`index_document` is called by the extraction job once a document's pages are stored, and
`forget_document` by the document erase, both inside the caller's transaction. Search ranks
the patient's chunks by reciprocal-rank fusion of the database's full-text ranking (SQLite
FTS5 / PostgreSQL tsvector / MariaDB FULLTEXT over blind-hashed terms) and exact cosine over
their vectors.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from sqlalchemy import Engine, delete, func, text
from sqlalchemy.orm import Session

from clinscribe.audit import service as audit
from clinscribe.db.models.documents import Document
from clinscribe.db.models.records import Patient
from clinscribe.db.models.retrieval import RetrievalChunk
from clinscribe.db.sealed import FieldCipher, cipher_of_session
from clinscribe.documents.core.pages import PageText
from clinscribe.errors import NotFound
from clinscribe.records import patients
from clinscribe.retrieval import core, matrix_cache, vectors
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
    document = session.get(Document, document_id)
    if document is not None:
        matrix_cache.invalidate(document.tenant_id, document.patient_id)
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
    matrix_cache.invalidate(document.tenant_id, document.patient_id)
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


def _lexical(session: Session, patient_id: str, tokens: list[str]) -> dict[str, float]:
    """Full-text scores (higher is better) of the patient's chunks that match any token,
    ranked by the database's own index (FTS5 BM25 / tsvector ts_rank / InnoDB FULLTEXT)."""
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
    else:
        # InnoDB FULLTEXT, natural language mode: any token matches, rarer ones weigh more.
        rows = session.execute(
            text(
                "SELECT id, MATCH(terms) AGAINST (:q IN NATURAL LANGUAGE MODE) "
                "FROM retrieval_chunks "
                "WHERE patient_id = :p AND MATCH(terms) AGAINST (:q IN NATURAL LANGUAGE MODE)"
            ),
            {"q": " ".join(unique), "p": patient_id},
        ).all()
    return {str(cid): float(score) for cid, score in rows}


def _lexical_in_python(
    session: Session, principal: Principal, patient_id: str, tokens: list[str]
) -> dict[str, float]:
    """BM25 in Python over the stored terms, for a database without a full-text index."""
    if not tokens:
        return {}
    rows = session.execute(
        readable(RetrievalChunk, principal)
        .where(RetrievalChunk.patient_id == patient_id)
        .with_only_columns(RetrievalChunk.id, RetrievalChunk.terms)
    ).all()
    ids = [str(r[0]) for r in rows]
    scores = core.bm25_scores(" ".join(sorted(set(tokens))), [str(r[1] or "") for r in rows])
    return {i: s for i, s in zip(ids, scores, strict=True) if s > 0}


def _patient_matrix(
    session: Session, principal: Principal, tenant_id: str, patient_id: str
) -> matrix_cache.PatientMatrix:
    """The patient's ids and vectors, from the cache when their index version is unchanged."""
    scoped = readable(RetrievalChunk, principal).where(RetrievalChunk.patient_id == patient_id)
    count, newest = session.execute(
        scoped.with_only_columns(func.count(RetrievalChunk.id), func.max(RetrievalChunk.created_at))
    ).one()
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    key = (
        engine.url.render_as_string(hide_password=True),
        tenant_id,
        patient_id,
        (int(count or 0), str(newest)),
    )

    def load() -> matrix_cache.PatientMatrix:
        rows = session.execute(
            scoped.with_only_columns(RetrievalChunk.id, RetrievalChunk.embedding)
        ).all()
        return matrix_cache.PatientMatrix.build(
            [str(r[0]) for r in rows],
            vectors.from_blobs([r[1] for r in rows], core.EMBEDDING_DIM),
        )

    return matrix_cache.get_or_load(key, load)


def _pgvector_scores(
    session: Session, principal: Principal, patient_id: str, query: object
) -> tuple[list[str], npt.NDArray[np.float32]]:
    ids = [
        str(i)
        for i in session.execute(
            readable(RetrievalChunk, principal)
            .where(RetrievalChunk.patient_id == patient_id)
            .with_only_columns(RetrievalChunk.id)
        ).scalars()
    ]
    rows = session.execute(
        text(
            "SELECT id, 1 - (embedding_vec <=> CAST(:v AS vector)) FROM retrieval_chunks "
            "WHERE id = ANY(:ids) AND embedding_vec IS NOT NULL"
        ),
        {"v": vectors.pgvector_literal(np.asarray(query, dtype=np.float32)), "ids": ids},
    ).all()
    by_id = {str(i): float(s) for i, s in rows}
    return ids, np.array([by_id.get(i, -1.0) for i in ids], dtype=np.float32)


def _rank(
    session: Session,
    principal: Principal,
    patient: Patient,
    query: str,
    k: int,
    model: core.MiniLmEmbedder | None,
    backend: vectors.VectorBackend,
) -> tuple[list[str], list[core.Ranked]]:
    """The patient's chunk ids and the top `k` of them by hybrid rank."""
    cosine: npt.NDArray[np.float32] = np.zeros(0, dtype=np.float32)
    if backend == "pgvector":
        query_vector = (model or embedder()).embed_one(query)
        ids, cosine = _pgvector_scores(session, principal, patient.id, query_vector)
        position = {cid: i for i, cid in enumerate(ids)}
    else:
        cached = _patient_matrix(session, principal, patient.tenant_id, patient.id)
        ids, position = cached.ids, cached.position
        if ids:
            cosine = core.cosine_scores((model or embedder()).embed_one(query), cached.matrix)
    if not ids:
        return ids, []
    tokens = term_tokens(cipher_of_session(session), patient.tenant_id, query)
    if session.get_bind().dialect.name in ("sqlite", "postgresql", "mysql", "mariadb"):
        lexical_by_id = _lexical(session, patient.id, tokens)
    else:
        lexical_by_id = _lexical_in_python(session, principal, patient.id, tokens)
    lexical = np.zeros(len(ids), dtype=np.float64)
    for cid, score in lexical_by_id.items():
        at = position.get(cid)
        if at is not None:
            lexical[at] = score
    return ids, core.hybrid_rank(lexical, cosine, k, depth=DEPTH)


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
    audit.record(
        session,
        action="patient.search",
        principal=principal,
        object_type="patient",
        object_id=patient.id,
    )
    backend = vectors.detect(session)
    by_id: dict[str, RetrievalChunk] = {}
    ranked: list[core.Ranked] = []
    ids: list[str] = []
    for _attempt in range(2):
        ids, ranked = _rank(session, principal, patient, query, k, model, backend)
        top_ids = [ids[r.index] for r in ranked]
        # Only the k chunks returned are read in full and unsealed.
        by_id = {
            c.id: c
            for c in session.execute(
                readable(RetrievalChunk, principal).where(RetrievalChunk.id.in_(top_ids))
            ).scalars()
        }
        if len(by_id) == len(top_ids):
            break
        # A chunk gone since the matrix was cached (the index version guards against this;
        # a clock step backwards on another host could defeat it): reload once and re-rank.
        matrix_cache.invalidate(patient.tenant_id, patient.id)
    hits = [
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
        for r in ranked
        if (chunk := by_id.get(ids[r.index])) is not None
    ]
    return SearchResults(
        patient_id=patient.id, query=query, k=k, vector_backend=backend, results=hits
    )
