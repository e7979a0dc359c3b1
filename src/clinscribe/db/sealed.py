"""Field-level encryption for ORM models.

A sealed attribute (`Patient.mrn`, `Transcript.text`, …) reads and writes plaintext in Python
while its column holds only ciphertext. Values are sealed at flush time, when the row's id and
tenant are known, because the associated data binds each ciphertext to its table, column, tenant
and row: a value copied into another row, column or tenant fails to decrypt. The cipher itself
(keys, blind-index key) lives above this layer and is registered per database engine, so several
databases with different keys can share a process (tests do).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any, Generic, Protocol, TypeVar, overload

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, object_session

from clinscribe.db.base import Base, new_id
from clinscribe.errors import ClinscribeError

T = TypeVar("T")


class FieldCipher(Protocol):
    """What the models need from the key ring (implemented in `security.crypto`)."""

    def seal(self, plaintext: str, aad: str) -> str: ...

    def open(self, value: str, aad: str) -> str: ...

    def is_current(self, value: str) -> bool:
        """Whether `value` is sealed under the primary key (rotation skips those)."""
        ...

    def blind(self, purpose: str, value: str) -> str:
        """A keyed hash for equality search without storing the value."""
        ...


class NoCipherError(ClinscribeError):
    """A sealed field was touched on a database with no cipher registered."""

    status_code = 500
    code = "no_field_cipher"


_CIPHERS: weakref.WeakKeyDictionary[Engine, FieldCipher] = weakref.WeakKeyDictionary()
_CIPHER_KEY = "_sealed_cipher"
_CACHE_KEY = "_sealed_cache"


def register(engine: Engine, cipher: FieldCipher) -> None:
    _CIPHERS[engine] = cipher


def cipher_of_session(session: Session) -> FieldCipher:
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    try:
        return _CIPHERS[engine]
    except KeyError as exc:
        raise NoCipherError("no field cipher is configured for this database") from exc


class _Pending:
    """A plaintext assigned in Python and not yet sealed (sealed by the flush hook)."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value


def _codec_dump(value: object) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


class Sealed(Generic[T]):
    """A descriptor over the mapped column attribute `column` holding the ciphertext."""

    def __init__(self, column: str, *, load: Callable[[str], T] | None = None) -> None:
        self.column = column
        self._load = load
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type) -> Sealed[T]: ...

    @overload
    def __get__(self, obj: object, owner: type) -> T: ...

    def __get__(self, obj: object | None, owner: type) -> Sealed[T] | T:
        if obj is None:
            return self
        stored = getattr(obj, self.column)
        if stored is None:
            return None  # type: ignore[return-value]  # nullable columns are typed T | None
        if isinstance(stored, _Pending):
            return self._decode(stored.value)
        cache: dict[str, tuple[str, Any]] = obj.__dict__.setdefault(_CACHE_KEY, {})
        hit = cache.get(self.name)
        if hit is not None and hit[0] == stored:
            return hit[1]  # type: ignore[no-any-return]
        value = self._decode(_cipher_of(obj).open(stored, aad_of(obj, self.name)))
        cache[self.name] = (stored, value)
        return value

    def __set__(self, obj: object, value: T | None) -> None:
        setattr(obj, self.column, None if value is None else _Pending(_codec_dump(value)))

    def _decode(self, plain: str) -> T:
        return self._load(plain) if self._load else plain  # type: ignore[return-value]

    # A sealed field in a query would compare ciphertexts (or, worse, become `WHERE false`).
    def __eq__(self, other: object) -> bool:
        raise TypeError(f"{self.name} is encrypted and cannot be used in a query")

    __hash__ = object.__hash__


def _cipher_of(obj: object) -> FieldCipher:
    session = object_session(obj)
    if session is not None:
        cipher = cipher_of_session(session)
        obj.__dict__[_CIPHER_KEY] = cipher
        return cipher
    cached: FieldCipher | None = obj.__dict__.get(_CIPHER_KEY)
    if cached is None:
        raise NoCipherError("a detached object's sealed field was never loaded")
    return cached


def sealed_fields(cls: type) -> list[Sealed[Any]]:
    return [v for klass in cls.__mro__ for v in vars(klass).values() if isinstance(v, Sealed)]


def field_named(cls: type, name: str) -> Sealed[Any]:
    for f in sealed_fields(cls):
        if f.name == name:
            return f
    raise KeyError(name)


def mark_pending(obj: object, f: Sealed[Any], plain: str) -> None:
    """Queue `plain` (already in stored form) to be sealed again at the next flush."""
    setattr(obj, f.column, _Pending(plain))


def aad_of(obj: object, field: str) -> str:
    """Table, column, tenant (or parent) and row: where this ciphertext is allowed to live."""
    scope_attr: str = type(obj).__sealed_scope__  # type: ignore[attr-defined]
    table: str = type(obj).__tablename__  # type: ignore[attr-defined]
    row_id: str = obj.id  # type: ignore[attr-defined]
    return f"{table}.{field}|{getattr(obj, scope_attr)}|{row_id}"


def seal_pending(cipher: FieldCipher, obj: object) -> bool:
    """Seal every pending value of `obj`; returns whether anything was sealed."""
    fields = sealed_fields(type(obj))
    pending = [f for f in fields if isinstance(getattr(obj, f.column), _Pending)]
    if not pending:
        return False
    if getattr(obj, "id", None) is None:
        obj.id = new_id()  # type: ignore[attr-defined]
    cache: dict[str, tuple[str, Any]] = obj.__dict__.setdefault(_CACHE_KEY, {})
    for f in pending:
        plain: str = getattr(obj, f.column).value
        stored = cipher.seal(plain, aad_of(obj, f.name))
        setattr(obj, f.column, stored)
        cache[f.name] = (stored, f._decode(plain))
    hook = getattr(obj, "__after_seal__", None)
    if hook is not None:
        hook(cipher)
    obj.__dict__[_CIPHER_KEY] = cipher
    return True


def _objects(session: Session) -> Iterable[object]:
    yield from session.new
    yield from session.dirty


@event.listens_for(Session, "before_flush")
def _seal_before_flush(session: Session, _context: Any, _instances: Any) -> None:
    cipher: FieldCipher | None = None
    for obj in list(_objects(session)):
        if not hasattr(type(obj), "__sealed_scope__"):
            continue
        cipher = cipher or cipher_of_session(session)
        seal_pending(cipher, obj)


@event.listens_for(Base, "load", propagate=True)
def _remember_cipher(obj: object, context: Any) -> None:
    # Objects outlive their session (expire_on_commit is off); keep the cipher to read them.
    if hasattr(type(obj), "__sealed_scope__"):
        obj.__dict__[_CIPHER_KEY] = cipher_of_session(context.session)
