"""Search request and response shapes."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_K = 50


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=1000)
    # Strict: JSON `true` is not a count (lax mode would read it as 1); "5" is refused too.
    k: int = Field(default=5, ge=1, le=MAX_K, strict=True)

    @field_validator("query")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the query is empty")
        return value.strip()


class SearchHit(BaseModel):
    """One ranked chunk: where it is (document, page, span), its text and its scores."""

    chunk_id: str
    document_id: str
    page: int
    begin: int
    end: int
    text: str
    score: float
    lexical_score: float
    vector_score: float


class SearchResults(BaseModel):
    patient_id: str
    query: str
    k: int
    vector_backend: str
    results: list[SearchHit]
