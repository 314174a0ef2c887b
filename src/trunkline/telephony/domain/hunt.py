"""The hunt plan of a User Number: its business numbers one after another, each with its ring timeout, and what the
outcome of a call means (PT-15.1)."""

from __future__ import annotations

from dataclasses import dataclass

SIP_PORT = 5060  # PT-17.8: the customer's PBX listens on UDP 5060


@dataclass(frozen=True)
class HuntStep:
    number: str  # E.164
    destination: str  # the customer PBX address, or "" for the carrier gateway
    ring_seconds: int

    def uri(self, *, gateway: str) -> str:
        digits = self.number.lstrip("+")
        if self.destination:
            return f"sip:{digits}@{self.destination}:{SIP_PORT}"
        return gateway.format(num=digits)


def hunt_plan(steps: list[HuntStep], *, gateway: str) -> list[dict[str, object]]:
    """The targets the edge tries in order, as it reads them from the routing snapshot."""
    return [
        {"number": step.number, "uri": step.uri(gateway=gateway), "ring_ms": step.ring_seconds * 1000} for step in steps
    ]


ANSWERED = "answered"
BUSY = "busy"
NO_ANSWER = "no_answer"
FAILED = "failed"
CANCELLED = "cancelled"
REJECTED = "rejected"
IN_PROGRESS = "in_progress"


def outcome_of(code: int) -> str:
    """What a final SIP response code means for one attempt or a whole call."""
    if 200 <= code < 300:
        return ANSWERED
    if code in (486, 600):
        return BUSY
    if code in (408, 480):
        return NO_ANSWER
    if code == 487:
        return CANCELLED
    return FAILED
