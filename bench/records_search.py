"""Benchmark retrieval and Client Health Reports on patient records (run by hand).

    python bench/records_search.py [--data DIR] [--own] [--speed] [--pages 500] [--json]

Data: ../shared/datasets/records-dev relative to the repository root (never copied here),
read through the real extraction (text layer, OCR for scans and photos, lab and letter
parsing); `--own` adds the set authored for this bench (bench/data/records_search.json,
split once into tune/test halves by a hash of each question id). Figures:

- retrieval: share of questions whose gold page is among the pages of the top-5 chunks
  (hybrid BM25 + MiniLM cosine, the ranking the search API uses);
- CHR: share of report sentences the faithfulness check finds supported by their cited
  pages, and the share of out-of-range lab results in the sources that the report states
  (gold flags of the dev set; every out-of-range result the extraction read for `--own`);
- speed (`--speed`): embedding chunks/s, and search latency p50/p95 through the search
  service on SQLite (FTS5 + numpy cosine) for one patient with `--pages` pages.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from clinscribe.accounts import service as accounts  # noqa: E402
from clinscribe.accounts.schemas import UserCreate  # noqa: E402
from clinscribe.config import Settings  # noqa: E402
from clinscribe.db import migrate  # noqa: E402
from clinscribe.db.models.documents import Document  # noqa: E402
from clinscribe.db.session import session_scope  # noqa: E402
from clinscribe.documents import pipeline  # noqa: E402
from clinscribe.documents.core.pages import Citation, PageText  # noqa: E402
from clinscribe.records import patients as patient_service  # noqa: E402
from clinscribe.records.schemas import PatientCreate  # noqa: E402
from clinscribe.reports import core as reports  # noqa: E402
from clinscribe.retrieval import core as retrieval  # noqa: E402
from clinscribe.retrieval import matrix_cache, service  # noqa: E402
from clinscribe.security import crypto  # noqa: E402
from clinscribe.security.principal import Principal  # noqa: E402

DEV = ROOT.parent / "shared" / "datasets" / "records-dev"
OWN = ROOT / "bench" / "data" / "records_search.json"
K = 5


def half(item_id: str) -> str:
    """The fixed tune/test half of an item (first hex digit of SHA-256 of its id)."""
    return "tune" if int(hashlib.sha256(item_id.encode()).hexdigest()[0], 16) < 8 else "test"


class Patient:
    """A patient's extracted documents, chunks and vectors."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.docs: dict[str, pipeline.Extracted] = {}
        self.chunks: list[retrieval.Chunk] = []
        self.vectors: Any = None

    def index(self, model: retrieval.MiniLmEmbedder) -> None:
        self.chunks = [
            c for doc, ex in self.docs.items() for c in retrieval.chunk_pages(doc, ex.pages)
        ]
        self.vectors = model.embed([c.text for c in self.chunks])

    def search(
        self, model: retrieval.MiniLmEmbedder, query: str, k: int = K
    ) -> list[retrieval.Chunk]:
        lexical = retrieval.bm25_scores(query, [c.text for c in self.chunks])
        cosine = retrieval.cosine_scores(model.embed_one(query), self.vectors)
        ranked = retrieval.hybrid_rank(lexical, [float(x) for x in cosine], k)
        return [self.chunks[r.index] for r in ranked]

    def sources(self) -> reports.ReportSources:
        pages, labs, facts = [], [], []
        for doc, ex in self.docs.items():
            pages += [
                reports.SourcePage(doc, p.number, p.text, ex.kind, ex.document_date)
                for p in ex.pages
            ]
            labs += [
                reports.LabEntry(
                    analyte=lab.analyte_printed,
                    value_printed=lab.value_printed,
                    citation=Citation(doc, lab.page, lab.begin, lab.end),
                    value=lab.value,
                    unit=lab.unit,
                    canonical=lab.canonical,
                    loinc=lab.loinc,
                    ref_low=lab.ref_low,
                    ref_high=lab.ref_high,
                    ref_printed=lab.ref_printed,
                    flag=lab.flag,
                    date=lab.effective_date,
                    low_confidence=lab.low_confidence,
                )
                for lab in ex.labs
            ]
            facts += [
                reports.LetterEntry(
                    f.kind,  # type: ignore[arg-type]
                    f.text,
                    Citation(doc, f.page, f.begin, f.end),
                    f.details,
                )
                for f in ex.facts
                if f.kind in ("medication", "problem", "allergy", "follow_up")
            ]
        return reports.ReportSources(pages=pages, labs=labs, facts=facts)


def load_dev(
    data: Path, settings: Settings
) -> tuple[dict[str, Patient], list[dict[str, Any]], dict[str, Any]]:
    gold = json.loads((data / "gold.json").read_text())
    patients: dict[str, Patient] = {}
    for doc in gold["documents"]:
        patient = patients.setdefault(doc["patient"], Patient(doc["patient"]))
        raw = (data / doc["file"]).read_bytes()
        patient.docs[doc["file"]] = pipeline.run(raw, settings, document_id=doc["file"])
    questions = [
        json.loads(line)
        for line in (data / "questions.jsonl").read_text().splitlines()
        if line.strip()
    ]
    return patients, questions, gold


def load_own(settings: Settings) -> tuple[dict[str, Patient], list[dict[str, Any]]]:
    own = json.loads(OWN.read_text())
    patients: dict[str, Patient] = {}
    for p in own["patients"]:
        patient = patients.setdefault(p["key"], Patient(p["key"]))
        for doc in p["documents"]:
            text = "\f".join(doc["pages"])
            patient.docs[doc["id"]] = pipeline.run(text.encode(), settings, document_id=doc["id"])
    return patients, own["questions"]


def retrieval_score(
    patients: dict[str, Patient], questions: list[dict[str, Any]], model: retrieval.MiniLmEmbedder
) -> dict[str, Any]:
    by_half: dict[str, list[int]] = defaultdict(list)
    misses = []
    for q in questions:
        hits = patients[q["patient"]].search(model, q["question"])
        pages = {(c.document_id, c.page) for c in hits}
        ok = (q["file"], q["page"]) in pages
        by_half[q.get("half", "all")].append(int(ok))
        if "half" in q:
            by_half["all"].append(int(ok))
        if not ok:
            misses.append({"id": q["id"], "half": q.get("half"), "got": sorted(pages)})
    pooled = Patient("pooled")
    pooled.chunks = [c for p in patients.values() for c in p.chunks]
    pooled.vectors = np.concatenate([p.vectors for p in patients.values()])
    pooled_hits: dict[str, list[int]] = defaultdict(list)
    for q in questions:
        pages = {(c.document_id, c.page) for c in pooled.search(model, q["question"])}
        ok = (q["file"], q["page"]) in pages
        pooled_hits[q.get("half", "all")].append(int(ok))
        if "half" in q:
            pooled_hits["all"].append(int(ok))
    out: dict[str, Any] = {
        h: {"n": len(v), "top5": round(sum(v) / len(v), 3)} for h, v in by_half.items()
    }
    # The same questions against every patient's pages at once (more distractors).
    out["pooled"] = {h: round(sum(v) / len(v), 3) for h, v in pooled_hits.items()}
    out["misses"] = misses
    return out


def chr_score(patients: dict[str, Patient], gold: dict[str, Any] | None) -> dict[str, Any]:
    sentences = supported = 0
    out_total = out_found = 0
    flagged_sentences = []
    for patient in patients.values():
        sources = patient.sources()
        note = reports.check(reports.draft_report(sources), sources)
        sentences += note.faithfulness.sentences
        supported += note.faithfulness.supported
        for section in note.sections:
            for s in section.sentences:
                if s.flags:
                    flagged_sentences.append(
                        {"patient": patient.key, "text": s.text, "flags": s.flags}
                    )
        labs_section = next(s for s in note.sections if s.key == "labs")
        cited: dict[tuple[str, int], str] = defaultdict(str)
        for s in labs_section.sentences:
            for ev in s.evidence:
                cited[(ev.document_id or "", ev.page or 0)] += " " + s.text
        if gold is not None:
            expected = [
                (doc["file"], lab["page"], lab["value_as_printed"])
                for doc in gold["documents"]
                if doc["patient"] == patient.key
                for lab in doc["labs"]
                if lab.get("flag")
            ]
        else:
            expected = [
                (lab.citation.document_id, lab.citation.page, lab.value_printed)
                for lab in sources.labs
                if lab.out_of_range
            ]
        for file, page, value in expected:
            out_total += 1
            out_found += int(f" {value} " in cited[(file, page)] + " ")
    return {
        "sentences": sentences,
        "faithful": round(supported / sentences, 4) if sentences else None,
        "out_of_range": out_total,
        "out_of_range_stated": round(out_found / out_total, 4) if out_total else None,
        "flagged": flagged_sentences,
    }


class BeforeEmbedder:
    """The embedder as the main branch shipped it before the token-length batches: texts
    sorted by character count, batches of 32 padded to their longest text. The same session
    and tokenizer as `model`, so the two differ only in how texts are batched."""

    def __init__(self, model: retrieval.MiniLmEmbedder, batch_size: int = 32) -> None:
        # One session on every core, as shipped then (the new embedder runs a session per core).
        self.model = retrieval.MiniLmEmbedder(max_tokens=model.max_tokens, lanes=1)
        self.max_tokens = model.max_tokens
        self.batch_size = batch_size

    def embed(self, texts: list[str]) -> Any:
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), retrieval.EMBEDDING_DIM), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            out[idx] = self.model.embed_token_ids(self.model.token_ids([texts[i] for i in idx]))
        return out

    def embed_one(self, text: str) -> Any:
        return self.embed([text])[0]


def embedding_speed(
    model: retrieval.MiniLmEmbedder, pages: list[PageText], n: int = 400, rounds: int = 3
) -> dict[str, Any]:
    """Chunks/s (and pages/s) of `model` and, in the same process and interleaved run by run,
    of the embedder as it was before (character-sorted batches of 32, `BeforeEmbedder`)."""
    chunks = [c.text for c in retrieval.chunk_pages("speed", pages)]
    texts = (chunks * (n // max(len(chunks), 1) + 1))[:n]
    pages_per_chunk = len(pages) / max(len(chunks), 1)
    before = BeforeEmbedder(model)
    # The token-length batches on one two-thread session: what the session-per-core lanes add.
    one_session = retrieval.MiniLmEmbedder(max_tokens=model.max_tokens, lanes=1)
    tokens = [len(t) for t in model.token_ids(texts)]
    same = float(np.abs(before.embed(chunks) - model.embed(chunks)).max())
    timings: dict[str, list[float]] = {"before": [], "one_session": [], "after": []}
    for _ in range(rounds):
        for name, m in (("before", before), ("one_session", one_session), ("after", model)):
            start = time.perf_counter()
            m.embed(texts)
            timings[name].append(n / (time.perf_counter() - start))
    best = {name: statistics.median(v) for name, v in timings.items()}
    return {
        "chunks": n,
        "mean_chars": round(statistics.mean(len(t) for t in texts)),
        "mean_tokens": round(statistics.mean(tokens), 1),
        "max_tokens": model.max_tokens,
        "chunks_per_s": round(best["after"], 1),
        "pages_per_s": round(best["after"] * pages_per_chunk, 1),
        "before_chunks_per_s": round(best["before"], 1),
        "one_session_chunks_per_s": round(best["one_session"], 1),
        "speed_up": round(best["after"] / best["before"], 2),
        "runs": {k: [round(x, 1) for x in v] for k, v in timings.items()},
        "max_abs_vector_difference": same,
        "load_average": [round(x, 1) for x in os.getloadavg()],
    }


class RandomVectors:
    """Unit vectors at random: indexes 500 pages in seconds when only search time is measured
    (ranking cost does not depend on the vectors' values; the query is still embedded)."""

    model_id = "random"

    def __init__(self) -> None:
        self.rng = np.random.default_rng(7)

    def embed(self, texts: list[str]) -> Any:
        v = self.rng.standard_normal((len(texts), retrieval.EMBEDDING_DIM)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)


def search_latency(
    pages: list[PageText], queries: list[str], n_pages: int, index_model: Any = None
) -> dict[str, Any]:
    """Index `n_pages` pages for one patient in a fresh SQLite database; time the search service."""
    secret = "bench-secret-that-is-long-enough-0123456789"
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), jwt_secret=secret, api_key_pepper=secret + "-p")  # type: ignore[arg-type]
        crypto.install(settings)
        url = settings.resolved_database_url
        migrate.upgrade(url)
        with session_scope(url) as session:
            tenant = accounts.create_tenant(session=session, name="bench")
            user = accounts.create_user(
                session=session,
                tenant_id=tenant.id,
                data=UserCreate(
                    email="bench@example.org", role="clinician", password="correct-horse-battery"
                ),  # type: ignore[arg-type]
            )
            principal = Principal(
                kind="user",
                tenant_id=tenant.id,
                actor_id=user.id,
                user_id=user.id,
                role="clinician",
            )
            patient = patient_service.create(
                session=session,
                principal=principal,
                data=PatientCreate(mrn="BENCH-1", given_name="Bench", family_name="Patient"),
            ).id
        start = time.perf_counter()
        per_doc = 10
        chunks = 0
        for d in range(n_pages // per_doc):
            doc_pages = [
                PageText(i + 1, pages[(d * per_doc + i) % len(pages)].text, "text_layer")
                for i in range(per_doc)
            ]
            with session_scope(url) as session:
                row = Document(
                    tenant_id=tenant.id,
                    patient_id=patient,
                    media_type="application/pdf",
                    status="ready",
                )
                session.add(row)
                session.flush()
                chunks += service.index_document(session, row.id, doc_pages, model=index_model)
        index_s = time.perf_counter() - start
        # Interleaved: "cold" empties the vector cache first, so that search reads and decodes
        # every vector of the patient as each search did before the cache existed.
        times: dict[str, list[float]] = {"cold": [], "warm": []}
        for i in range(max(60, len(queries))):
            for mode in ("cold", "warm"):
                if mode == "cold":
                    matrix_cache.clear()
                with session_scope(url) as session:
                    t0 = time.perf_counter()
                    service.search(
                        session=session,
                        principal=principal,
                        patient_id=patient,
                        query=queries[i % len(queries)],
                        k=5,
                    )
                    times[mode].append((time.perf_counter() - t0) * 1000)
        out: dict[str, Any] = {"pages": n_pages, "chunks": chunks, "index_s": round(index_s, 1)}
        for mode, t in times.items():
            t.sort()
            out[mode] = {
                "searches": len(t),
                "p50_ms": round(t[len(t) // 2], 1),
                "p95_ms": round(t[int(len(t) * 0.95) - 1], 1),
            }
        return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEV)
    parser.add_argument("--own", action="store_true", help="also score the authored set")
    parser.add_argument("--speed", action="store_true", help="embedding and search speed")
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument(
        "--random-vectors",
        action="store_true",
        help="index the latency patient with random vectors (search timing only)",
    )
    parser.add_argument(
        "--max-tokens",
        default=str(retrieval.MAX_TOKENS),
        help="embedder truncation; a comma list scores retrieval at each (speed uses the first)",
    )
    parser.add_argument(
        "--before",
        action="store_true",
        help="also score retrieval with the embedder as it was before (same run)",
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="interleaved embedding runs (median reported)"
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--show", action="store_true", help="print misses and flagged sentences")
    parser.add_argument(
        "--speed-only", action="store_true", help="only the speed figures, on the authored pages"
    )
    args = parser.parse_args()
    try:
        max_tokens = [int(x) for x in args.max_tokens.split(",")]
    except ValueError:
        print("error: --max-tokens takes integers, e.g. 128,256", file=sys.stderr)
        return 2
    if args.speed_only:
        own_patients, _ = load_own(Settings())
        pages = [p for pt in own_patients.values() for ex in pt.docs.values() for p in ex.pages]
        queries = [q["question"] for q in json.loads(OWN.read_text())["questions"]]
        model = retrieval.MiniLmEmbedder(max_tokens=max_tokens[0])
        index_model = RandomVectors() if args.random_vectors else None
        speed = {
            "embedding": embedding_speed(model, pages, rounds=args.rounds),
            "search": search_latency(pages, queries, args.pages, index_model),
        }
        print(json.dumps({"speed": speed}, indent=2))
        return 0
    if not (args.data / "gold.json").is_file():
        print(f"error: no gold.json in {args.data}", file=sys.stderr)
        return 2
    settings = Settings()
    model = retrieval.MiniLmEmbedder(max_tokens=max_tokens[0])
    t0 = time.perf_counter()
    patients, questions, gold = load_dev(args.data, settings)
    extract_s = time.perf_counter() - t0
    for p in patients.values():
        p.index(model)
    result: dict[str, Any] = {
        "dev": {
            "extract_s": round(extract_s, 1),
            "retrieval": retrieval_score(patients, questions, model),
            "chr": chr_score(patients, gold),
        }
    }
    all_pages = [
        p for patient in patients.values() for ex in patient.docs.values() for p in ex.pages
    ]
    if args.own:
        own_patients, own_questions = load_own(settings)
        for p in own_patients.values():
            p.index(model)
        for q in own_questions:
            q["half"] = half(q["id"])
        result["own"] = {
            "retrieval": retrieval_score(own_patients, own_questions, model),
            "chr": chr_score(own_patients, None),
        }
        all_pages += [
            p for patient in own_patients.values() for ex in patient.docs.values() for p in ex.pages
        ]
    if args.before:
        # The same questions with the embedder as it was before (the vectors should be equal).
        before = BeforeEmbedder(model)
        sets = [("dev", patients, questions)]
        if args.own:
            sets.append(("own", own_patients, own_questions))
        for part, group, qs in sets:
            for p in group.values():
                p.index(before)  # type: ignore[arg-type]
            scored = retrieval_score(group, qs, before)  # type: ignore[arg-type]
            if not args.show:
                scored.pop("misses", None)
            result[part]["retrieval_before"] = scored
            for p in group.values():
                p.index(model)
    for extra in max_tokens[1:]:
        # The same questions with another truncation (extraction and CHR are not repeated).
        other = retrieval.MiniLmEmbedder(max_tokens=extra)
        sets = [("dev", patients, questions)]
        if args.own:
            sets.append(("own", own_patients, own_questions))
        for part, group, qs in sets:
            for p in group.values():
                p.index(other)
            scored = retrieval_score(group, qs, other)
            if not args.show:
                scored.pop("misses", None)
            result[part][f"retrieval_max_tokens_{extra}"] = scored
    if args.speed:
        result["speed"] = {
            "embedding": embedding_speed(model, all_pages, rounds=args.rounds),
            "search": search_latency(
                all_pages,
                [q["question"] for q in questions],
                args.pages,
                RandomVectors() if args.random_vectors else None,
            ),
        }
    if not args.show:
        for part in ("dev", "own"):
            if part in result:
                result[part]["retrieval"].pop("misses", None)
                result[part]["chr"].pop("flagged", None)
    print(json.dumps(result, indent=2 if not args.json else None))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
