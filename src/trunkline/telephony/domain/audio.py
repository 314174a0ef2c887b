"""WAV checking and conversion to what the trunk carries: 8 kHz mono G.711 A-law (PT-17.3, PT-20).

Pure Python (``audioop`` is gone from Python 3.13): reads PCM WAV (8/16-bit, any rate, mono or stereo) or A-law WAV,
mixes to mono, resamples linearly to 8 kHz and encodes A-law. Also a tone detector for the audio checks.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

PCM = 1
ALAW = 6
TARGET_RATE = 8000
MAX_SECONDS = 600


class AudioFormatError(ValueError):
    pass


@dataclass(frozen=True)
class WavInfo:
    format_tag: int
    channels: int
    rate: int
    bits: int
    frames: int

    @property
    def seconds(self) -> float:
        return self.frames / self.rate if self.rate else 0.0


def _chunks(data: bytes) -> dict[bytes, bytes]:
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise AudioFormatError("not a WAV file")
    out: dict[bytes, bytes] = {}
    offset = 12
    while offset + 8 <= len(data):
        name, size = data[offset : offset + 4], struct.unpack("<I", data[offset + 4 : offset + 8])[0]
        out.setdefault(name, data[offset + 8 : offset + 8 + size])
        offset += 8 + size + (size & 1)
    if b"fmt " not in out or b"data" not in out:
        raise AudioFormatError("WAV without fmt or data chunk")
    return out


def wav_read(data: bytes) -> tuple[WavInfo, list[int]]:
    """The WAV's description and its samples as signed 16-bit mono integers."""
    chunks = _chunks(data)
    fmt = chunks[b"fmt "]
    if len(fmt) < 16:
        raise AudioFormatError("short fmt chunk")
    tag, channels, rate, _byte_rate, _align, bits = struct.unpack("<HHIIHH", fmt[:16])
    if tag == 0xFFFE and len(fmt) >= 26:  # WAVE_FORMAT_EXTENSIBLE: the real tag starts the sub-format GUID
        tag = struct.unpack("<H", fmt[24:26])[0]
    if channels not in (1, 2) or not 4000 <= rate <= 192000:
        raise AudioFormatError(f"unsupported layout: {channels} channels at {rate} Hz")
    body = chunks[b"data"]
    if tag == PCM and bits == 16:
        samples = list(struct.unpack(f"<{len(body) // 2}h", body[: len(body) // 2 * 2]))
    elif tag == PCM and bits == 8:
        samples = [(byte - 128) << 8 for byte in body]
    elif tag == ALAW and bits == 8:
        samples = [alaw_decode(byte) for byte in body]
    else:
        raise AudioFormatError(f"unsupported encoding: format {tag}, {bits} bits")
    if channels == 2:
        samples = [(samples[i] + samples[i + 1]) // 2 for i in range(0, len(samples) - 1, 2)]
    info = WavInfo(format_tag=tag, channels=channels, rate=rate, bits=bits, frames=len(samples))
    if info.frames == 0:
        raise AudioFormatError("no audio")
    if info.seconds > MAX_SECONDS:
        raise AudioFormatError(f"longer than {MAX_SECONDS} seconds")
    return info, samples


def resample(samples: list[int], rate: int, target: int = TARGET_RATE) -> list[int]:
    if rate == target:
        return list(samples)
    count = max(1, int(len(samples) * target / rate))
    step = rate / target
    out = []
    for index in range(count):
        position = index * step
        left = int(position)
        right = min(left + 1, len(samples) - 1)
        fraction = position - left
        out.append(int(samples[left] * (1 - fraction) + samples[right] * fraction))
    return out


def alaw_encode(sample: int) -> int:
    """One signed 16-bit sample to G.711 A-law (ITU-T G.711, segment encoding)."""
    sample = max(-32768, min(32767, sample)) >> 3  # 13-bit magnitude
    sign = 0x80 if sample >= 0 else 0x00
    magnitude = sample if sample >= 0 else -sample - 1
    if magnitude < 32:
        value = magnitude >> 1
    else:
        segment = magnitude.bit_length() - 5
        value = (segment << 4) | ((magnitude >> segment) & 0x0F)
    return (value | sign) ^ 0x55


def alaw_decode(byte: int) -> int:
    byte ^= 0x55
    magnitude = byte & 0x7F
    segment = magnitude >> 4
    value = ((magnitude & 0x0F) << 4) + 8
    if segment:
        value = (value + 0x100) << (segment - 1)
    return value if byte & 0x80 else -value


def alaw_wav(samples: list[int]) -> bytes:
    """An 8 kHz mono A-law WAV of ``samples`` (already at 8 kHz)."""
    body = bytes(alaw_encode(sample) for sample in samples)
    fmt = struct.pack("<HHIIHHH", ALAW, 1, TARGET_RATE, TARGET_RATE, 1, 8, 0)
    fact = struct.pack("<I", len(body))
    riff = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"fact" + struct.pack("<I", 4) + fact
    riff += b"data" + struct.pack("<I", len(body)) + body + (b"\x00" if len(body) & 1 else b"")
    return b"RIFF" + struct.pack("<I", len(riff)) + riff


def convert_to_alaw(data: bytes) -> tuple[bytes, dict[str, object]]:
    """Check ``data`` and convert it to 8 kHz mono A-law; returns the WAV and a report of what was found."""
    info, samples = wav_read(data)
    converted = resample(samples, info.rate)
    report: dict[str, object] = {
        "format_tag": info.format_tag,
        "channels": info.channels,
        "rate": info.rate,
        "bits": info.bits,
        "seconds": round(info.seconds, 2),
        "converted": not (info.format_tag == ALAW and info.rate == TARGET_RATE and info.channels == 1),
    }
    return alaw_wav(converted), report


def tone(frequency: float, seconds: float, *, rate: int = TARGET_RATE, amplitude: int = 8000) -> list[int]:
    return [int(amplitude * math.sin(2 * math.pi * frequency * n / rate)) for n in range(int(seconds * rate))]


def pcm_wav(samples: list[int], *, rate: int = TARGET_RATE) -> bytes:
    body = struct.pack(f"<{len(samples)}h", *samples)
    fmt = struct.pack("<HHIIHH", PCM, 1, rate, rate * 2, 2, 16)
    riff = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(body)) + body
    return b"RIFF" + struct.pack("<I", len(riff)) + riff


def dominant_frequency(samples: list[int], *, rate: int = TARGET_RATE) -> float:
    """A zero-crossing estimate of a pure tone's frequency."""
    if len(samples) < 2:
        return 0.0
    crossings = sum(1 for i in range(1, len(samples)) if (samples[i - 1] < 0) != (samples[i] < 0))
    return crossings / 2 / (len(samples) / rate)
