"""The KEMI script's own Python work per initial INVITE (not a test): ``Router.ksr_request_route`` against a stand-in
``KSR`` whose functions return at once, so what is timed is the script — the snapshot check, the decision, the
dialog variables and the spool event — and not Kamailio, the network or the other processes of the machine.

usage: .venv/bin/python bench/pbx_kemi_micro.py [--invites 20000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from trunkline.telephony.edge import router  # noqa: E402

SDP = "v=0\r\nm=audio 6000 RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=ptime:20\r\n"
VALUES = {"$rm": "INVITE", "$ci": "call-1", "$si": "127.0.4.10", "$rU": "35970010001", "$fU": "35988000111",
          "$ft": "tag-1", "$rb": SDP}  # fmt: skip


class _Module:
    def __init__(self, **returns: object) -> None:
        self.returns = returns

    def __getattr__(self, name: str):
        value = self.returns.get(name, 1)
        return lambda *args: value


class FakeKSR:
    """Kamailio's KEMI module as the script sees it, with every call answered at once."""

    def __init__(self) -> None:
        self.maxfwd = _Module()
        self.sanity = _Module()
        self.siputils = _Module(has_totag=-1)
        self.tmx = _Module(t_precheck_trans=-1)
        self.tm = _Module(t_check_trans=1)
        self.hdr = _Module(is_present=-1)
        self.sdpops = _Module(sdp_content=1)
        self.sl, self.rr, self.dialog, self.rtpengine = _Module(), _Module(), _Module(), _Module()
        self.pv = self

    def get(self, name: str) -> object:
        return VALUES.get(name)

    def is_null(self, name: str) -> bool:
        return name not in VALUES

    def sets(self, name: str, value: str) -> None:
        pass

    def seti(self, name: str, value: int) -> None:
        pass

    def unset(self, name: str) -> None:
        pass

    def info(self, text: str) -> None:
        pass

    err = info


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invites", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kemi-micro-"))
    snapshot = {
        "peers": {"127.0.4.10": {"kind": "carrier", "name": "bench"}},
        "user_numbers": {
            "35970010001": {
                "org": "bench",
                "user_number": "+35970010001",
                "targets": [{"number": "+35928880001", "uri": "sip:35928880001@127.0.4.20:5060", "ring_ms": 20000}],
                "greeting": "",
                "music": "",
            }
        },
    }
    (work / "routing.json").write_text(json.dumps(snapshot))
    (work / "spool").mkdir()
    router.KSR = FakeKSR()
    edge = router.Router(snapshot=str(work / "routing.json"), spool=str(work / "spool"))
    per_invite = []
    for _round in range(args.rounds):
        started = time.perf_counter()
        for _n in range(args.invites):
            edge.ksr_request_route(None)
        per_invite.append((time.perf_counter() - started) / args.invites * 1e6)
    print(
        f"KEMI script per initial INVITE: median {statistics.median(per_invite):.1f} µs, "
        f"best {min(per_invite):.1f} µs over {args.rounds} rounds of {args.invites} (Python {sys.version.split()[0]})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
