"""Spools in the layout before sealed record files are taken over as they are."""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

import numpy as np
import pytest

from clinscribe.security.keys import KeyRing
from clinscribe.security.records import FRAMED
from clinscribe.streaming.core.spool import Spool, SpoolCorruptError

RING = KeyRing(keys={"k1": os.urandom(32)}, primary="k1")


def legacy_spool(directory: Path, frames: list[bytes], finals: list[dict[str, object]]) -> bytes:
    """The files the spool wrote before sealed record files; returns the audio file's bytes."""
    directory.mkdir(parents=True)
    audio = b""
    for index, pcm in enumerate(frames):
        sealed = RING.encrypt(pcm, f"spool|{directory.name}|audio|{index}").encode("ascii")
        audio += struct.pack(">I", len(sealed)) + sealed
    lines = "".join(
        RING.encrypt(json.dumps(f).encode(), f"spool|{directory.name}|finals|{index}") + "\n"
        for index, f in enumerate(finals)
    )
    (directory / "audio.sealed").write_bytes(audio)
    (directory / "finals.sealed").write_text(lines, "ascii")
    return audio


def test_a_spool_of_the_previous_layout_is_rewritten_and_resumed(tmp_path: Path) -> None:
    directory = tmp_path / "s1"
    frames = [bytes([n]) * 3200 for n in range(3)]
    segment = {"id": 0, "start": 0.0, "end": 0.2, "text": "legacy final"}
    audio = legacy_spool(directory, frames, [{"end": 3200, "segments": [segment]}])
    (directory / "audio.sealed").write_bytes(audio[:-5])  # its last frame torn by a crash
    with (directory / "finals.sealed").open("a", encoding="ascii") as log:
        log.write("enc1:k1:torn")

    spool = Spool(directory, RING, create=False)
    assert spool.samples == 2 * 1600
    assert [s.text for s in spool.load_finals()[0]] == ["legacy final"]
    assert spool.load_finals()[1] == 3200
    spool.write(np.zeros(1600, dtype=np.float32))
    spool.close()
    for name in ("audio.sealed", "finals.sealed"):
        assert (directory / name).read_bytes().startswith(FRAMED)
    assert sorted(p.name for p in directory.iterdir()) == ["audio.sealed", "finals.sealed"]

    again = Spool(directory, RING, create=False)
    wav = again.finish().read()
    assert len(wav) == 44 + 3 * 3200
    assert wav[44 : 44 + 6400] == frames[0] + frames[1] and wav[-3200:] == bytes(3200)
    again.close()


def test_a_damaged_spool_of_the_previous_layout_is_refused_and_left_as_it_was(
    tmp_path: Path,
) -> None:
    directory = tmp_path / "s2"
    audio = bytearray(legacy_spool(directory, [b"\x01" * 3200] * 2, []))
    audio[100] ^= 1  # inside the first record: damage, not a torn tail
    (directory / "audio.sealed").write_bytes(bytes(audio))
    with pytest.raises(SpoolCorruptError):
        Spool(directory, RING, create=False)
    assert (directory / "audio.sealed").read_bytes() == bytes(audio)
    assert sorted(p.name for p in directory.iterdir()) == ["audio.sealed", "finals.sealed"]
