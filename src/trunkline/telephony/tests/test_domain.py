"""Pure PBX maths: numbers, hunt plans, statistics, bandwidth, working days, unsolicited patterns, audio."""

from __future__ import annotations

import struct
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from trunkline.telephony.domain import audio
from trunkline.telephony.domain.bandwidth import bandwidth_needed
from trunkline.telephony.domain.hunt import HuntStep, hunt_plan, outcome_of
from trunkline.telephony.domain.numbers import calling_number_allowed, calling_pattern, e164
from trunkline.telephony.domain.statistics import Tally
from trunkline.telephony.domain.unsolicited import OutboundCall, Thresholds, detect
from trunkline.telephony.domain.workdays import add_working_days


def test_numbers_are_read_as_e164():
    """National, 00-prefixed and spaced numbers all become E.164."""
    assert e164("02 888 0001") == "+35928880001"
    assert e164("00359 70 010 001") == "+35970010001"
    with pytest.raises(ValueError, match="phone number"):
        e164("pbx")


@pytest.mark.rule("PT-17")
def test_calling_numbers_match_exactly_or_by_prefix():
    """PT-17.11: an A-number is allowed by an exact pattern or a prefix ending in *."""
    patterns = [calling_pattern("+35921234567"), calling_pattern("3592888*")]
    assert patterns == ["35921234567", "3592888*"]
    assert calling_number_allowed(patterns, "+35921234567")
    assert calling_number_allowed(patterns, "35928880042")
    assert not calling_number_allowed(patterns, "35999999999")
    with pytest.raises(ValueError, match="digits"):
        calling_pattern("12*3")


@pytest.mark.rule("PT-15.1")
def test_hunt_plan_targets_each_pbx_address_or_the_carrier():
    """Business numbers become SIP targets in order, with their ring timeouts in milliseconds."""
    plan = hunt_plan(
        [HuntStep("+35928880001", "127.0.0.20", 3), HuntStep("+359888123456", "", 20)],
        gateway="sip:{num}@127.0.0.30:5060",
    )
    assert plan == [
        {"number": "+35928880001", "uri": "sip:35928880001@127.0.0.20:5060", "ring_ms": 3000},
        {"number": "+359888123456", "uri": "sip:359888123456@127.0.0.30:5060", "ring_ms": 20000},
    ]
    assert [outcome_of(code) for code in (200, 486, 408, 487, 503)] == [
        "answered",
        "busy",
        "no_answer",
        "cancelled",
        "failed",
    ]


@pytest.mark.rule("PT-15.1")
def test_asr_and_acd_round_half_up():
    """ASR is answered/calls in percent, ACD the mean answered duration, both to one decimal."""
    tally = Tally()
    for disposition, seconds in [("answered", 10), ("answered", 21), ("busy", 0), ("no_answer", 0), ("answered", 0)]:
        tally.add(disposition=disposition, duration_seconds=seconds)
    tally.add(disposition="failed")
    assert (tally.calls, tally.answered, tally.busy, tally.missed, tally.failed) == (6, 3, 1, 1, 1)
    assert tally.asr == Decimal("50.0")
    assert tally.acd == Decimal("10.3")
    assert Tally().asr is None
    assert Tally().acd is None


@pytest.mark.rule("PT-16")
def test_bandwidth_is_80_kbits_per_ip_phone_and_145_per_web_phone():
    """Ten IP phones and four web phones need 10*80 + 4*145 = 1380 kbit/s."""
    assert bandwidth_needed(ip_phone_lines=10, web_phone_lines=4).total_kbits == 1380
    assert bandwidth_needed(ip_phone_lines=0, web_phone_lines=0).total_kbits == 0
    with pytest.raises(ValueError, match="negative"):
        bandwidth_needed(ip_phone_lines=-1, web_phone_lines=0)


@pytest.mark.rule("PT-15.7")
def test_working_days_skip_weekends_and_holidays():
    """From Friday, 3 working days with Monday a holiday end on Thursday."""
    assert add_working_days(date(2026, 3, 6), 3, holidays={date(2026, 3, 9)}) == date(2026, 3, 12)
    assert add_working_days(date(2026, 3, 6), 0, holidays=set()) == date(2026, 3, 6)


def _calls(count: int, *, distinct: int, seconds: int, start: datetime) -> list[OutboundCall]:
    return [
        OutboundCall(at=start + timedelta(seconds=30 * i), b_number=f"3598{i % distinct:08d}", duration_seconds=seconds)
        for i in range(count)
    ]


@pytest.mark.rule("PT-8.8")
def test_many_short_calls_to_many_numbers_are_unsolicited():
    """50 calls of 3 s to 50 numbers in 25 minutes match; the same calls lasting 2 minutes, or to 5 numbers, do not."""
    start = datetime(2026, 5, 4, 9, tzinfo=UTC)
    found = detect(_calls(50, distinct=50, seconds=3, start=start), Thresholds())
    assert found is not None
    assert (found.calls, found.distinct_numbers, found.short_calls) == (50, 50, 50)
    assert detect(_calls(50, distinct=50, seconds=120, start=start), Thresholds()) is None
    assert detect(_calls(50, distinct=5, seconds=3, start=start), Thresholds()) is None
    assert detect(_calls(49, distinct=49, seconds=3, start=start), Thresholds()) is None


def test_wav_is_converted_to_8khz_alaw_and_keeps_its_tone():
    """A 16 kHz stereo PCM tone becomes 8 kHz mono A-law at the same pitch."""
    samples = audio.tone(1000, 0.5, rate=16000)
    stereo = [value for sample in samples for value in (sample, sample)]
    body = struct.pack(f"<{len(stereo)}h", *stereo)
    fmt = struct.pack("<HHIIHH", 1, 2, 16000, 64000, 4, 16)
    riff = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", len(body)) + body
    converted, report = audio.convert_to_alaw(b"RIFF" + struct.pack("<I", len(riff)) + riff)
    info, decoded = audio.wav_read(converted)
    assert (info.format_tag, info.channels, info.rate, info.bits) == (6, 1, 8000, 8)
    assert report == {"format_tag": 1, "channels": 2, "rate": 16000, "bits": 16, "seconds": 0.5, "converted": True}
    assert abs(audio.dominant_frequency(decoded) - 1000) <= 5
    with pytest.raises(audio.AudioFormatError):
        audio.convert_to_alaw(b"ID3 not a wav")
