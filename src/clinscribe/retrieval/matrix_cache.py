"""A per-process cache of each patient's chunk ids and vector matrix for numpy cosine search.

Reading and decoding every vector of a 500-page patient costs more than ranking them, and
the vectors change only when a document is indexed or forgotten. An entry is keyed by the
database, tenant, patient and the patient's *index version*: the count and newest creation
time of their chunks, read from the database on every search. Indexing adds chunks with a
newer creation time and forgetting lowers the count, so a change made by any process (the
extraction worker, another API worker) gives a new key and the stale entry is never served;
`invalidate` also drops a patient's entries at once in the process that made the change.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

# Entries kept; a 500-page patient is ~1,100 chunks x 384 float32 = 1.6 MB.
MAX_ENTRIES = 64


@dataclass(frozen=True)
class PatientMatrix:
    """The patient's chunk ids, their unit vectors (one row each, same order) and positions."""

    ids: list[str]
    matrix: npt.NDArray[np.float32]
    position: dict[str, int] = field(repr=False)

    @classmethod
    def build(cls, ids: list[str], matrix: npt.NDArray[np.float32]) -> PatientMatrix:
        # Read-only so a cached matrix cannot be changed in place by a caller.
        matrix = np.ascontiguousarray(matrix, dtype=np.float32)
        matrix.setflags(write=False)
        return cls(ids, matrix, {cid: i for i, cid in enumerate(ids)})


Key = tuple[str, str, str, Hashable]

_LOCK = threading.Lock()
_ENTRIES: OrderedDict[Key, PatientMatrix] = OrderedDict()


def get_or_load(key: Key, load: Callable[[], PatientMatrix]) -> PatientMatrix:
    """The cached entry for `key`, or `load()`'s result, remembered (least recently used out)."""
    with _LOCK:
        entry = _ENTRIES.get(key)
        if entry is not None:
            _ENTRIES.move_to_end(key)
            return entry
    entry = load()
    with _LOCK:
        _ENTRIES[key] = entry
        _ENTRIES.move_to_end(key)
        while len(_ENTRIES) > MAX_ENTRIES:
            _ENTRIES.popitem(last=False)
    return entry


def invalidate(tenant_id: str, patient_id: str) -> None:
    """Drop every entry of this patient (any database, any index version)."""
    with _LOCK:
        for key in [k for k in _ENTRIES if k[1] == tenant_id and k[2] == patient_id]:
            del _ENTRIES[key]


def clear() -> None:
    with _LOCK:
        _ENTRIES.clear()


def size() -> int:
    with _LOCK:
        return len(_ENTRIES)


def snapshot() -> dict[Key, PatientMatrix]:
    """A copy of the current entries (for tests and diagnostics)."""
    with _LOCK:
        return dict(_ENTRIES)


def put(key: Key, entry: PatientMatrix) -> None:
    """Store (or replace) an entry (for tests that stand in for another process)."""
    with _LOCK:
        _ENTRIES[key] = entry
        _ENTRIES.move_to_end(key)
        while len(_ENTRIES) > MAX_ENTRIES:
            _ENTRIES.popitem(last=False)
