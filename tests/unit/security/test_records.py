"""The sealed record codec: both layouts, tampering, torn tails, key rotation, stored blobs."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
from pathlib import Path

import pytest

from clinscribe.security import records
from clinscribe.security.keys import DecryptionError, KeyRing
from clinscribe.storage.blobs import BlobCorruptError, LocalBlobStore

FIXTURES = Path(__file__).parent / "fixtures"
K1, K2 = os.urandom(32), os.urandom(32)
OLD = KeyRing(keys={"k1": K1}, primary="k1")
ROTATED = KeyRing(keys={"k2": K2, "k1": K1}, primary="k2")
ONLY_NEW = KeyRing(keys={"k2": K2}, primary="k2")


def fixed(ring: KeyRing, identity: str, plain: bytes) -> bytes:
    out = io.BytesIO()
    writer = records.FixedWriter(out, ring, identity)
    for start in range(0, len(plain), 10_000):  # written in pieces of any size
        writer.write(plain[start : start + 10_000])
    writer.close()
    return out.getvalue()


def open_fixed(ring: KeyRing, identity: str, data: bytes) -> bytes:
    with io.BufferedReader(records.FixedReader(io.BytesIO(data), ring, identity)) as reader:
        return reader.read()


def framed(path: Path, ring: KeyRing, identity: str, *pieces: bytes, **kw: bool) -> None:
    with path.open("r+b" if path.exists() else "w+b") as handle:
        appender = records.Appender(handle, ring, identity, **kw)
        for piece in pieces:
            appender.append(piece)


def read(path: Path, ring: KeyRing, identity: str) -> list[bytes]:
    with path.open("rb") as handle:
        return list(records.read_framed(handle, ring, identity))


def test_fixed_records_round_trip_and_read_at_any_offset() -> None:
    plain = os.urandom(3 * records.RECORD + 77)
    data = fixed(OLD, "blob|a", plain)
    assert plain[:64] not in data
    raw = records.FixedReader(io.BytesIO(data), OLD, "blob|a")
    assert (raw.records, raw.size) == (4, len(plain))
    assert raw.record(3) == plain[3 * records.RECORD :]
    with io.BufferedReader(raw) as reader:  # a raw reader returns one record's part per read
        reader.seek(2 * records.RECORD - 5)
        assert reader.read(10) == plain[2 * records.RECORD - 5 : 2 * records.RECORD + 5]
    for size in (0, 1, records.RECORD, records.RECORD + 1):
        edge = os.urandom(size)
        assert open_fixed(OLD, "blob|e", fixed(OLD, "blob|e", edge)) == edge
    assert records.unseal(OLD, "info|x", records.seal(OLD, "info|x", b"{}")) == b"{}"


def test_fixed_records_cannot_be_altered_reordered_cut_or_moved() -> None:
    plain = os.urandom(3 * records.RECORD + 77)
    data = fixed(OLD, "blob|a", plain)
    head = len(data) - 3 * (records.RECORD + records.TAG) - (77 + records.TAG)
    stride = records.RECORD + records.TAG

    flipped = bytearray(data)
    flipped[-40] ^= 1
    swapped = data[:head] + data[head + stride : head + 2 * stride]
    swapped += data[head : head + stride] + data[head + 2 * stride :]
    cut = data[: head + 2 * stride]  # at a record boundary: the new last one is not final
    for damaged in (bytes(flipped), swapped, cut, data[: head + 5], data[:head]):
        with pytest.raises(records.RecordError):
            open_fixed(OLD, "blob|a", damaged)
    with pytest.raises(records.RecordError):
        open_fixed(OLD, "blob|b", data)  # moved to another file
    with pytest.raises(records.RecordError):
        open_fixed(OLD, "blob|a", b"RIFF" + data[4:])  # not a sealed file
    with pytest.raises(DecryptionError, match="not configured"):
        open_fixed(ONLY_NEW, "blob|a", data)  # the key ring's own error: its key is gone


def test_fixed_records_after_rotation_old_key_opens_new_files_use_the_primary() -> None:
    old = fixed(OLD, "blob|a", b"before")
    assert open_fixed(ROTATED, "blob|a", old) == b"before"
    new = fixed(ROTATED, "blob|a", b"after")
    assert records.FixedHeader.read(io.BytesIO(new)).kid == "k2"
    assert open_fixed(ONLY_NEW, "blob|a", new) == b"after"


def test_a_blob_written_before_the_codec_still_opens(tmp_path: Path) -> None:
    # Written by the blob store as it was before the codec (64 KiB + 1000 bytes, key "fixture").
    key = base64.b64decode("G76NtgHHYvjmYSGw7acPuF4vY7YWRn7VCAO7FjV7GeA=")
    assert key == hashlib.sha256(b"clinscribe legacy blob fixture key").digest()
    ring = KeyRing(keys={"fixture": key}, primary="fixture")
    expected = bytes(i * 7 % 251 for i in range(records.RECORD + 1000))
    raw = (FIXTURES / "blob_v1.bin").read_bytes()
    assert open_fixed(ring, "blob|tenant/enc/rec", raw) == expected
    store = LocalBlobStore(tmp_path, ring)
    target = tmp_path / "tenant/enc/rec"
    target.parent.mkdir(parents=True)
    target.write_bytes(raw)
    assert store.key_id("tenant/enc/rec") == "fixture"
    with store.open("tenant/enc/rec") as reader:
        reader.seek(records.RECORD - 3)
        assert reader.read(6) == expected[records.RECORD - 3 : records.RECORD + 3]
        assert reader.read() == expected[records.RECORD + 3 :]
    shutil.copy(target, tmp_path / "tenant/enc/other")
    with pytest.raises(BlobCorruptError), store.open("tenant/enc/other") as reader:
        reader.read()


def test_framed_records_append_across_reopenings(tmp_path: Path) -> None:
    path = tmp_path / "log.sealed"
    framed(path, OLD, "log|1", b"one", b"", b"three")
    framed(path, OLD, "log|1", b"four")
    assert read(path, OLD, "log|1") == [b"one", b"", b"three", b"four"]
    assert b"three" not in path.read_bytes()
    with path.open("rb") as handle:
        assert records.tail(handle, OLD, "log|1") == (path.stat().st_size, [3, 0, 5, 4])
    empty = tmp_path / "empty.sealed"
    empty.touch()  # created, never appended to: the header comes with the first record
    with empty.open("rb") as handle:
        assert records.tail(handle, OLD, "log|2") == (0, [])
    framed(empty, OLD, "log|2", b"x")
    assert read(empty, OLD, "log|2") == [b"x"]


def test_a_torn_last_record_is_cut_off_and_appending_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "log.sealed"
    framed(path, OLD, "log|1", b"a" * 100, b"b" * 100, b"c" * 100)
    whole = path.read_bytes()
    path.write_bytes(whole[:-7])  # a crash mid-write
    with pytest.raises(records.RecordError):
        read(path, OLD, "log|1")  # nothing reads past a torn record before it is cut off
    framed(path, OLD, "log|1", b"d" * 10)
    assert read(path, OLD, "log|1") == [b"a" * 100, b"b" * 100, b"d" * 10]

    # Whole in length but not opening (the disk kept the length, not the bytes): torn too,
    # when the appender opens every record; without that it is left to the reader.
    garbled = bytearray(path.read_bytes())
    garbled[-3] ^= 1
    path.write_bytes(bytes(garbled))
    framed(path, OLD, "log|1", b"e", verify_all=True)
    assert read(path, OLD, "log|1") == [b"a" * 100, b"b" * 100, b"e"]

    header_only = tmp_path / "torn-header.sealed"
    header_only.write_bytes(records.FRAMED[:3])  # torn before the first record
    framed(header_only, OLD, "log|3", b"z")
    assert read(header_only, OLD, "log|3") == [b"z"]


def test_framed_records_cannot_be_altered_reordered_or_moved(tmp_path: Path) -> None:
    path = tmp_path / "log.sealed"
    framed(path, OLD, "log|1", b"a" * 50, b"b" * 50, b"c" * 50)
    data = path.read_bytes()
    frame = (len(data) - len(records.FRAMED)) // 3
    first, second = (
        data[len(records.FRAMED) + i * frame : len(records.FRAMED) + (i + 1) * frame]
        for i in range(2)
    )
    swapped = records.FRAMED + second + first + data[len(records.FRAMED) + 2 * frame :]
    altered = bytearray(data)
    altered[len(records.FRAMED) + frame // 2] ^= 1
    for damaged in (swapped, bytes(altered)):
        path.write_bytes(damaged)
        with pytest.raises(records.RecordError):
            read(path, OLD, "log|1")
        with pytest.raises(records.RecordError):  # damage before the last record is no tear
            framed(path, OLD, "log|1", b"d", verify_all=True)
    path.write_bytes(data)
    with pytest.raises(records.RecordError):
        read(path, OLD, "log|2")
    path.write_bytes(b"\x00\x00\x01\x00" + data)  # not a framed sealed file
    with pytest.raises(records.RecordError):
        framed(path, OLD, "log|1", b"d")


def test_framed_records_after_rotation_are_appended_under_the_primary_key(
    tmp_path: Path,
) -> None:
    path = tmp_path / "log.sealed"
    framed(path, OLD, "log|1", b"before")
    framed(path, ROTATED, "log|1", b"after", verify_all=True)
    assert read(path, ROTATED, "log|1") == [b"before", b"after"]
    raw = path.read_bytes()
    assert raw.count(b"\x02k1") == 1 and raw.count(b"\x02k2") == 1  # each record names its key
    with pytest.raises(DecryptionError, match="not configured"):
        read(path, ONLY_NEW, "log|1")


def test_an_appender_counts_records_and_plaintext_bytes(tmp_path: Path) -> None:
    path = tmp_path / "log.sealed"
    framed(path, OLD, "log|1", b"abc")
    with path.open("r+b") as handle:
        appender = records.Appender(handle, OLD, "log|1")
        assert (appender.count, appender.size) == (1, 3)
        appender.append(b"de")
        appender.append(b"")
        # What uploads report as their offset: the plaintext bytes, not the sealed ones.
        assert (appender.count, appender.size) == (3, 5)


def test_a_reader_names_a_file_that_ends_inside_a_record(tmp_path: Path) -> None:
    path = tmp_path / "log.sealed"
    framed(path, OLD, "log|1", b"a" * 50, b"b" * 50)
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(records.RecordError, match=r"^a sealed file ends inside a record$"):
        read(path, OLD, "log|1")


def test_damage_to_the_last_whole_record_before_a_torn_tail_is_not_taken_for_a_tear(
    tmp_path: Path,
) -> None:
    path = tmp_path / "log.sealed"
    framed(path, OLD, "log|1", b"a" * 50, b"b" * 50)
    damaged = bytearray(path.read_bytes())
    damaged[-3] ^= 1  # an acknowledged record altered ...
    path.write_bytes(bytes(damaged) + b"\x00\x00")  # ... then a later write torn by a crash
    with path.open("rb") as handle, pytest.raises(records.RecordError):
        records.tail(handle, OLD, "log|1", verify_all=True)
