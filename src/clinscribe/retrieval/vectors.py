"""Where exact cosine runs: in numpy over the patient's vectors, or in SQL with pgvector.

pgvector is used only when the database has the extension installed *and* the chunks table
has its `embedding_vec` column (added by migration 0012 when the extension was present);
otherwise vectors are float32 blobs ranked in numpy. Detected once per database at start-up.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

VectorBackend = Literal["numpy", "pgvector"]
_DETECTED: dict[str, VectorBackend] = {}


def choose_backend(dialect: str, extension_installed: bool, column_present: bool) -> VectorBackend:
    """pgvector only on PostgreSQL with the extension and the column both present."""
    if dialect == "postgresql" and extension_installed and column_present:
        return "pgvector"
    return "numpy"


def _probe(session: Session) -> VectorBackend:
    bind = session.get_bind()
    dialect = bind.dialect.name
    if dialect != "postgresql":
        return "numpy"
    installed = session.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'vector'")).first()
    column = session.execute(
        text(
            "SELECT 1 FROM information_schema.columns "
            "WHERE table_name = 'retrieval_chunks' AND column_name = 'embedding_vec'"
        )
    ).first()
    return choose_backend(dialect, installed is not None, column is not None)


def detect(session: Session) -> VectorBackend:
    """The backend for this session's database (probed once, then remembered)."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    key = engine.url.render_as_string(hide_password=True)
    if key not in _DETECTED:
        _DETECTED[key] = _probe(session)
    return _DETECTED[key]


def forget_detection() -> None:
    """Probe again next time (after a site enables pgvector without restarting)."""
    _DETECTED.clear()


def to_blob(vector: npt.NDArray[np.float32]) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def from_blobs(blobs: list[bytes], dim: int) -> npt.NDArray[np.float32]:
    if not blobs:
        return np.zeros((0, dim), dtype=np.float32)
    return np.frombuffer(b"".join(blobs), dtype="<f4").reshape(len(blobs), dim).astype(np.float32)


def pgvector_literal(vector: npt.NDArray[np.float32]) -> str:
    """The text form pgvector casts from: '[0.1,0.2,...]'."""
    return "[" + ",".join(f"{float(x):.7g}" for x in vector) + "]"
