"""The pieces of a live session: segmenter, local agreement, inputs, limits, tokens."""

from __future__ import annotations

import io
import itertools
from concurrent.futures import ThreadPoolExecutor

import av
import numpy as np
import pytest
from sqlalchemy import select

from clinscribe.audio.decode import SAMPLE_RATE
from clinscribe.config import Settings
from clinscribe.db.models import AuditEvent, StreamToken
from clinscribe.db.session import get_sessionmaker
from clinscribe.errors import Unauthorized
from clinscribe.security import crypto
from clinscribe.streaming.core.inputs import PcmInput, WebmInput
from clinscribe.streaming.core.limits import StreamLimits, TokenBucket
from clinscribe.streaming.core.partials import LocalAgreement
from clinscribe.streaming.core.protocol import Chunk, Stop, StreamError, parse_config, parse_message
from clinscribe.streaming.core.vad import FRAME_SECONDS, Segmenter
from clinscribe.streaming.sessions import StreamRegistry
from tests.support import TenantWorld


def frames(seconds: float, prob: float) -> np.ndarray:
    return np.full(round(seconds / FRAME_SECONDS), prob, dtype=np.float32)


def test_an_utterance_closes_after_a_sentence_pause_and_not_on_a_short_one() -> None:
    segmenter = Segmenter()
    assert segmenter.push(frames(0.5, 0.0)) == []
    assert segmenter.push(frames(2.0, 0.9)) == []
    assert segmenter.push(frames(0.15, 0.1)) == []  # a comma-sized pause keeps it open
    assert segmenter.push(frames(1.0, 0.9)) == []
    closed = segmenter.push(frames(0.3, 0.0))  # the pause after a sentence closes it
    assert len(closed) == 1
    utterance = closed[0]
    assert utterance.start / SAMPLE_RATE == pytest.approx(0.2, abs=0.05)  # 0.3 s pre-roll
    assert utterance.speech_end / SAMPLE_RATE == pytest.approx(3.65, abs=0.05)
    assert segmenter.open_start is None


def test_a_short_fragment_waits_for_a_clear_pause() -> None:
    segmenter = Segmenter()
    segmenter.push(frames(0.5, 0.0))
    assert segmenter.push(frames(0.8, 0.9)) == []
    assert segmenter.push(frames(0.3, 0.0)) == []  # "Okay," may go on
    assert len(segmenter.push(frames(0.3, 0.0))) == 1


def test_speech_without_pauses_is_cut_before_whisper_s_window_fills() -> None:
    segmenter = Segmenter()
    probs = frames(40.0, 0.9)
    probs[int(8.0 / FRAME_SECONDS)] = 0.4  # the quietest moment
    closed = segmenter.push(probs)
    limit = segmenter.config.max_utterance
    assert closed and all((u.end - u.start) / SAMPLE_RATE <= limit for u in closed)
    assert closed[0].end / SAMPLE_RATE == pytest.approx(8.0 + FRAME_SECONDS, abs=0.05)
    assert all(a.end == b.start for a, b in itertools.pairwise(closed))
    last = segmenter.flush()
    assert last is not None and last.end / SAMPLE_RATE == pytest.approx(40.0, abs=0.05)


def test_words_two_hypotheses_agree_on_stay_stable() -> None:
    agreement = LocalAgreement()
    assert agreement.update("the patient") == ("the patient", "")
    assert agreement.update("the patient takes met") == ("the patient takes met", "the patient")
    shown, stable = agreement.update("the patient takes metformin")
    assert stable == "the patient takes" and shown == "the patient takes metformin"
    shown, stable = agreement.update("a patient takes metformin daily")
    assert stable == "the patient takes"  # a stable prefix never changes afterwards
    assert shown == "the patient takes metformin daily"


def test_pcm_at_48_khz_is_resampled_and_split_samples_are_rejoined() -> None:
    out: list[np.ndarray] = []
    pcm_input = PcmInput(48000, out.append)
    tone = (np.sin(np.arange(48000) * 2 * np.pi * 440 / 48000) * 8000).astype("<i2").tobytes()
    for offset in range(0, len(tone), 4801):  # odd sizes split samples across frames
        pcm_input.feed(tone[offset : offset + 4801])
    pcm_input.close()
    samples = np.concatenate(out)
    assert abs(len(samples) - SAMPLE_RATE) < 64
    assert 0.2 < float(np.abs(samples).max()) < 0.3


def test_a_webm_opus_stream_is_decoded_as_it_arrives() -> None:
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="webm") as container:
        stream = container.add_stream("libopus", rate=48000, layout="mono")
        tone = (np.sin(np.arange(48000) * 2 * np.pi * 440 / 48000) * 0.3).astype(np.float32)
        for i in range(0, len(tone), 960):
            frame = av.AudioFrame.from_ndarray(tone[None, i : i + 960], format="flt", layout="mono")
            frame.sample_rate = 48000
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    data = buffer.getvalue()
    out: list[np.ndarray] = []
    errors: list[str] = []
    webm = WebmInput(out.append, errors.append)
    for offset in range(0, len(data), 1000):
        webm.feed(data[offset : offset + 1000])
    webm.close()
    assert not errors
    assert abs(sum(len(o) for o in out) - SAMPLE_RATE) < 1600


def test_the_byte_rate_allows_a_burst_then_refuses() -> None:
    now = [100.0]
    bucket = TokenBucket(rate=1000, burst=2000, clock=lambda: now[0])
    assert bucket.take(2000)
    assert not bucket.take(500)
    now[0] += 0.5  # half a second refills 500 bytes, and never more than the burst
    assert bucket.take(500) and not bucket.take(1)
    now[0] += 60
    assert bucket.take(2000) and not bucket.take(1)


def stream_audit(settings: Settings) -> list[tuple[str, str, str | None]]:
    with get_sessionmaker(settings.resolved_database_url)() as session:
        rows = session.execute(
            select(AuditEvent.action, AuditEvent.outcome, AuditEvent.tenant_id).where(
                AuditEvent.action.like("stream.%")
            )
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def test_a_stream_token_is_single_use_across_nodes_and_expires(
    settings: Settings, tenant_a: TenantWorld
) -> None:
    makers = get_sessionmaker(settings.resolved_database_url)
    principal = tenant_a.principal("clinician")
    # Two registries on one database: two nodes (or a node before and after a restart).
    first = StreamRegistry(StreamLimits(), makers, settings.data_dir, crypto.key_ring(settings))
    second = StreamRegistry(StreamLimits(), makers, settings.data_dir, crypto.key_ring(settings))
    token = first.mint(principal)
    assert second.redeem(token) == principal
    for node in (first, second):
        with pytest.raises(Unauthorized):
            node.redeem(token)
    expired = StreamRegistry(
        StreamLimits(token_seconds=0.0), makers, settings.data_dir, crypto.key_ring(settings)
    )
    late = expired.mint(principal)
    with pytest.raises(Unauthorized):
        first.redeem(late)
    with pytest.raises(Unauthorized):
        first.redeem("never-minted")
    with makers() as session:
        stored = session.execute(select(StreamToken.token_hash)).scalars().all()
    assert token not in stored and late not in stored  # only hashes are kept
    assert stream_audit(settings) == [
        ("stream.token_reused", "denied", tenant_a.id),
        ("stream.token_reused", "denied", tenant_a.id),
        ("stream.token_expired", "denied", tenant_a.id),
        ("stream.token_unknown", "denied", None),
    ]


def test_racing_redeemers_of_one_token_have_exactly_one_winner(
    settings: Settings, tenant_a: TenantWorld
) -> None:
    makers = get_sessionmaker(settings.resolved_database_url)
    nodes = [
        StreamRegistry(StreamLimits(), makers, settings.data_dir, crypto.key_ring(settings))
        for _ in range(4)
    ]
    token = nodes[0].mint(tenant_a.principal("clinician"))

    def attempt(node: StreamRegistry) -> bool:
        try:
            node.redeem(token)
        except Unauthorized:
            return False
        return True

    with ThreadPoolExecutor(4) as pool:
        assert sorted(pool.map(attempt, nodes)) == [False, False, False, True]


def test_messages_parse_into_chunks_and_stop_and_bad_ones_are_4400() -> None:
    assert parse_message('{"type": "stop"}') == Stop()
    assert parse_message('{"type": "chunk", "data": "AAA=", "final": true}') == Chunk(
        b"\x00\x00", True
    )
    for bad in ('{"type": "chunk", "data": "***"}', "[]", '{"type": "config"}', "nope"):
        with pytest.raises(StreamError) as error:
            parse_message(bad)
        assert error.value.close_code == 4400
    with pytest.raises(StreamError):
        parse_config('{"type": "config", "encoding": "mp3", "encounter_id": "e"}')


def test_the_spool_keeps_audio_and_finals_encrypted_and_drops_only_a_torn_tail(
    settings: Settings,
) -> None:
    from clinscribe.asr.core.schemas import Segment
    from clinscribe.streaming.core.spool import Spool, SpoolCorruptError

    ring = crypto.key_ring(settings)
    directory = settings.data_dir / "streams" / "s1"
    spool = Spool(directory, ring)
    tone = (0.5 * np.sin(np.arange(16_000) / 7.0)).astype(np.float32)
    for second in range(3):
        spool.write(tone * (second + 1) / 3)
    spool.log_finals(16_000, [Segment(id=0, start=0.0, end=1.0, text="qzfinalmarker")])
    spool.close()
    raw = (directory / "audio.sealed").read_bytes()
    pcm = (np.clip(tone / 3, -1, 1) * 32767).astype("<i2").tobytes()
    assert pcm[1000:1064] not in raw
    assert b"qzfinalmarker" not in (directory / "finals.sealed").read_bytes()

    (directory / "audio.sealed").write_bytes(raw[:-7])  # a crash mid-record
    reopened = Spool(directory, ring, create=False)
    assert reopened.samples == 2 * 16_000
    assert reopened.load_finals()[0][0].text == "qzfinalmarker"
    reopened.write(tone)  # appending continues after the last whole record
    reopened.close()
    again = Spool(directory, ring, create=False)
    assert again.samples == 3 * 16_000
    wav = again.finish().read()
    assert wav[:4] == b"RIFF" and len(wav) == 44 + 3 * 32_000
    again.close()

    # A final torn by a crash is dropped, and the next one is not glued onto it.
    again = Spool(directory, ring, create=False)
    again.log_finals(32_000, [Segment(id=1, start=1.0, end=2.0, text="second")])
    again.close()
    finals = directory / "finals.sealed"
    finals.write_bytes(finals.read_bytes()[:-9])
    torn = Spool(directory, ring, create=False)
    assert [s.text for s in torn.load_finals()[0]] == ["qzfinalmarker"]
    torn.log_finals(48_000, [Segment(id=1, start=1.0, end=3.0, text="third")])
    torn.close()
    after = Spool(directory, ring, create=False)
    assert [s.text for s in after.load_finals()[0]] == ["qzfinalmarker", "third"]
    assert after.load_finals()[1] == 48_000
    after.close()

    damaged = bytearray((directory / "audio.sealed").read_bytes())
    damaged[100] ^= 1  # inside the first record: damage, not a torn tail
    (directory / "audio.sealed").write_bytes(bytes(damaged))
    with pytest.raises(SpoolCorruptError):
        Spool(directory, ring, create=False)
