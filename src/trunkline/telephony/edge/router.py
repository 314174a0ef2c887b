"""Kamailio KEMI routing script (``app_python3``) of the PBX's SIP edge.

Runs inside every Kamailio worker, in Debian's embedded Python: standard library only, one interpreter per process,
no threads, and anything that blocks holds up that SIP worker. So the routing data comes from the control plane's
snapshot file (``TRUNKLINE_ROUTING``), re-read only when it is replaced, and call events go to a spool directory
(``TRUNKLINE_SPOOL``) that the control plane ingests; there is no network call per INVITE.

Serial forking state lives in the transaction (``$avp``) and the dialog (``$dlg_var``), never in Python globals:
failure routes and dialog events run in whichever process handled the reply or the timer (Kamailio pitfall 2 in the
research notes).
"""

from __future__ import annotations

import json
import os
import sys
import time

try:
    import KSR  # provided by Kamailio
except ImportError:  # imported by the tests, which install a fake KSR
    KSR = None

try:
    from trunkline.telephony.edge import media, policy
except ImportError:  # inside Kamailio: the script's own directory
    sys.path.insert(0, os.environ.get("TRUNKLINE_EDGE_DIR") or os.path.dirname(os.path.abspath(__file__)))
    import media  # type: ignore[no-redef]
    import policy  # type: ignore[no-redef]

RTP_FLAGS = "replace-origin replace-session-connection ICE=remove"
# the far side of a voice-message-only call: rtpengine sends the caller's audio nowhere (discard port, loopback)
SILENT_PARTY_SDP = (
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 9 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\na=ptime:20\r\na=sendrecv\r\n"
)
MUSIC_REPEATS = 1000  # the music loops until the call is answered or ends; rtpengine needs a count


def mod_init():
    router = Router(
        snapshot=os.environ.get("TRUNKLINE_ROUTING", "routing.json"),
        spool=os.environ.get("TRUNKLINE_SPOOL", "."),
        rtpengine=os.environ.get("TRUNKLINE_RTPENGINE", "0") == "1",
        ng_address=os.environ.get("TRUNKLINE_RTPENGINE_NG", "127.0.0.1:2223"),
        pending=os.environ.get("TRUNKLINE_PENDING", ""),
    )
    KSR.info(
        f"trunkline edge: routing={router.snapshot.path} spool={router.spool.directory} rtpengine={router.rtpengine}\n"
    )
    return router


class Router:
    def __init__(
        self, *, snapshot: str, spool: str, rtpengine: bool = False, ng_address: str = "", pending: str = ""
    ) -> None:
        self.snapshot = policy.SnapshotFile(snapshot)
        self.spool = policy.Spool(spool)
        self.rtpengine = rtpengine
        self.ng_address = ng_address or "127.0.0.1:2223"
        self.pending = media.Pending(pending or os.path.join(spool, "pending"))

    def child_init(self, rank):
        return 0

    # ------------------------------------------------------------------ events
    def emit(self, event: str, call_id: str, **fields) -> None:
        now = time.time()
        try:
            self.spool.write(dict(fields, call_id=call_id, event=event, at=round(now, 6)), now=now)
        except OSError as error:
            KSR.err(f"trunkline edge: spool write failed: {error}\n")

    def reject(self, decision: dict, *, call_id: str, si: str, a: str, b: str) -> int:
        KSR.sl.sl_send_reply(decision["code"], decision["reason"])
        self.emit(
            "reject",
            call_id,
            org=decision.get("org", ""),
            direction=decision.get("direction", ""),
            code=decision["code"],
            reason=decision["reason"],
            si=si,
            a=a,
            b=b,
        )
        return 1

    # ----------------------------------------------------------- request route
    def ksr_request_route(self, msg):
        if KSR.maxfwd.process_maxfwd(10) < 0:
            KSR.sl.sl_send_reply(483, "Too Many Hops")
            return 1
        if KSR.sanity.sanity_check(1511, 7) < 0:
            return 1
        method = KSR.pv.get("$rm")
        if method == "OPTIONS" and KSR.pv.is_null("$rU"):
            KSR.sl.sl_send_reply(200, "Keepalive")
            return 1
        if method == "CANCEL":
            if KSR.tm.t_check_trans() > 0:
                if self.rtpengine:
                    KSR.rtpengine.rtpengine_delete("")
                KSR.tm.t_relay()
            return 1
        if KSR.siputils.has_totag() > 0:  # in-dialog: follow the Record-Route path
            if KSR.rr.loose_route() > 0:
                if self.rtpengine and method == "BYE":
                    KSR.rtpengine.rtpengine_delete("")
                KSR.tm.t_relay()
                return 1
            if method == "ACK":
                if KSR.tm.t_check_trans() > 0:
                    KSR.tm.t_relay()
                return 1
            KSR.sl.sl_send_reply(404, "Not here")
            return 1
        if method == "ACK":
            KSR.tm.t_check_trans()
            return 1
        if KSR.tmx.t_precheck_trans() > 0:  # a retransmission of an initial request being processed
            KSR.tm.t_check_trans()
            return 1
        if KSR.tm.t_check_trans() == 0:
            return 1
        if method != "INVITE":
            KSR.sl.sl_send_reply(405, "Method Not Allowed")
            return 1
        KSR.hdr.remove("Route")
        return self.route_invite()

    def route_invite(self) -> int:
        call_id = KSR.pv.get("$ci") or ""
        si = KSR.pv.get("$si") or ""
        b = KSR.pv.get("$rU") or ""
        if KSR.hdr.is_present("P-Asserted-Identity") > 0:
            a = (KSR.pv.get("$ai") or "").split("@")[0].split(":")[-1]
        else:
            a = KSR.pv.get("$fU") or ""
        sdp = KSR.pv.get("$rb") if KSR.sdpops.sdp_content() > 0 else None
        decision = policy.decide(self.snapshot.get(), source_ip=si, a_number=a, r_user=b, sdp=sdp)
        if decision["action"] == "announce":
            return self.announce(decision, call_id=call_id, si=si, a=a, b=b, sdp=sdp or "")
        if decision["action"] != "route":
            return self.reject(decision, call_id=call_id, si=si, a=a, b=b)
        if decision.get("strip_codecs"):
            KSR.sdpops.sdp_keep_codecs_by_name("PCMA,telephone-event", "audio")
        targets = decision["targets"]
        KSR.rr.record_route()
        KSR.dialog.dlg_manage()
        for name, value in (
            ("org", decision["org"]),
            ("ftag", KSR.pv.get("$ft") or ""),
            ("greeting", decision.get("greeting", "")),
            ("greeting_ms", str(decision.get("greeting_ms", 0))),
            ("music", "1" if decision.get("music") else ""),
            ("pos", "0"),
            ("number", targets[0]["number"]),
        ):
            KSR.pv.sets(f"$dlg_var({name})", value)
        KSR.pv.sets("$avp(targets)", decision.get("targets_json") or json.dumps(targets))
        KSR.pv.seti("$avp(pos)", 0)
        self.relay_to(targets[0])
        if self.rtpengine:
            KSR.rtpengine.rtpengine_offer(RTP_FLAGS)
            if decision.get("music"):
                # the caller hears the music from now until a business number answers (PT-20)
                KSR.rtpengine.play_media(
                    "from-tag={} file={} repeat-times={}".format(KSR.pv.get("$ft"), decision["music"], MUSIC_REPEATS)
                )
        if KSR.tm.t_relay() < 0:
            KSR.sl.sl_reply_error()
        # the INVITE is on its way before the event is written: the spool is not on the call-setup path
        self.emit(
            "start",
            call_id,
            org=decision["org"],
            direction=decision["direction"],
            a=a,
            b=b,
            si=si,
            user_number=decision.get("user_number", ""),
        )
        return 1

    def announce(self, decision: dict, *, call_id: str, si: str, a: str, b: str, sdp: str) -> int:
        """Out of business hours with a voice message: the caller gets early media (183 with rtpengine's SDP) and
        hears the message; when it has played, the rtimer process resumes the transaction and answers 480."""
        if not self.rtpengine or KSR.tm.t_newtran() < 0:
            return self.reject(decision, call_id=call_id, si=si, a=a, b=b)
        ng = media.NgClient(self.ng_address)
        caller = KSR.pv.get("$ft") or ""
        flags = {"call-id": call_id, "from-tag": caller, "replace": ["origin", "session-connection"], "ICE": "remove"}
        try:
            ng.command("offer", sdp=sdp, **flags)
            answer = ng.command("answer", sdp=SILENT_PARTY_SDP, **{"to-tag": f"tl-{call_id[:24]}"}, **flags)
            if answer.get("result") != "ok":
                raise ValueError(answer.get("error-reason", "answer refused"))
            ng.command("play media", **{"call-id": call_id, "from-tag": caller, "file": decision["message"]})
        except (OSError, ValueError) as error:
            KSR.err(f"trunkline edge: voice message failed: {error}\n")
            return self.reject(decision, call_id=call_id, si=si, a=a, b=b)
        KSR.textops.set_reply_body(answer["sdp"], "application/sdp")
        KSR.tm.t_reply(183, "Session Progress")
        seconds = int(decision.get("message_ms") or 0) / 1000
        KSR.tm.t_set_fr(int(seconds * 1000) + 10000, 2000)  # the suspended transaction outlives the message
        event = {"org": decision.get("org", ""), "direction": decision.get("direction", ""), "si": si, "a": a, "b": b}
        event.update(code=decision["code"], reason=decision["reason"])
        KSR.pv.sets("$avp(announce)", json.dumps(event))  # kept with the transaction, back when it resumes
        if KSR.tmx.t_suspend() < 0:
            KSR.tm.t_reply(decision["code"], decision["reason"])
            return 1
        index, label = int(KSR.pv.get("$T(id_index)") or 0), int(KSR.pv.get("$T(id_label)") or 0)
        self.pending.add({"do": "finish", "index": index, "label": label}, due=time.time() + seconds)
        return 1

    def ksr_after_message(self, msg):
        """The suspended INVITE once its voice message has played: 480, media released, the call recorded."""
        call_id = KSR.pv.get("$ci") or ""
        event = json.loads(KSR.pv.get("$avp(announce)") or "{}")
        self.emit("reject", call_id, **event)
        KSR.tm.t_reply(int(event.get("code") or 480), event.get("reason") or "Temporarily Unavailable")
        try:
            media.NgClient(self.ng_address).command("delete", **{"call-id": call_id})
        except (OSError, ValueError) as error:
            KSR.err(f"trunkline edge: delete after the voice message failed: {error}\n")
        return 1

    def relay_to(self, target: dict) -> None:
        KSR.pv.sets("$ru", target["uri"])
        KSR.tm.t_set_fr(int(target["ring_ms"]), 2000)  # ring timeout; no reply at all within 2 s: unreachable
        KSR.tm.t_on_failure("ksr_failure_next")
        if self.rtpengine:
            KSR.tm.t_on_reply("ksr_reply_media")

    # ----------------------------------------------------------- failure route
    def ksr_failure_next(self, msg):
        call_id = KSR.pv.get("$ci") or ""
        targets = json.loads(KSR.pv.get("$avp(targets)") or "[]")
        position = int(KSR.pv.get("$avp(pos)") or 0)
        canceled = KSR.tm.t_is_canceled() > 0
        code = 487 if canceled else int(KSR.pv.get("$T_reply_code") or 408)
        number = targets[position]["number"] if position < len(targets) else ""
        self.emit(f"attempt.{position}", call_id, number=number, code=code)
        KSR.pv.sets("$dlg_var(last_code)", str(code))
        if canceled or position + 1 >= len(targets):
            if self.rtpengine:
                KSR.rtpengine.rtpengine_delete("")
            return 1  # the best final reply goes upstream: all busy gives 486
        position += 1
        KSR.info(f"trunkline edge: {number} answered {code}, trying business number {position}\n")
        KSR.pv.unset("$avp(pos)")
        KSR.pv.seti("$avp(pos)", position)
        KSR.pv.sets("$dlg_var(pos)", str(position))
        KSR.pv.sets("$dlg_var(number)", targets[position]["number"])
        self.relay_to(targets[position])
        KSR.tm.t_relay()
        return 1

    # ------------------------------------------------------------ media (rtpengine)
    def ksr_reply_media(self, msg):
        code = int(KSR.pv.get("$rs") or 0)
        if KSR.sdpops.sdp_content() <= 0 or code >= 300:
            return 1
        KSR.rtpengine.rtpengine_answer(RTP_FLAGS)
        caller, callee = KSR.pv.get("$ft"), KSR.pv.get("$tt")
        music = KSR.pv.get("$dlg_var(music)")
        if code < 200:
            if music:  # the business number's early media would mix with the music: hold it back
                KSR.rtpengine.block_media(f"from-tag={callee}")
            return 1
        if music:
            KSR.rtpengine.stop_media(f"from-tag={caller}")
        greeting = KSR.pv.get("$dlg_var(greeting)")
        if greeting:
            # the caller hears the greeting alone: the business number is blocked until it has played (PT-20)
            KSR.rtpengine.block_media(f"from-tag={callee}")
            KSR.rtpengine.play_media(f"from-tag={caller} file={greeting}")
            seconds = int(KSR.pv.get("$dlg_var(greeting_ms)") or 0) / 1000
            self.pending.add(
                {"do": "unblock", "call_id": KSR.pv.get("$ci"), "from_tag": caller, "tag": callee},
                due=time.time() + seconds,
            )
        elif music:
            KSR.rtpengine.unblock_media(f"from-tag={callee}")
        return 1

    def ksr_media_timer(self, msg, name=""):
        """Every 100 ms in Kamailio's rtimer process: run the media actions now due."""
        for action in self.pending.take_due():
            if action.get("do") == "finish":
                if KSR.tmx.t_continue(action["index"], action["label"], "ksr_after_message") < 0:
                    KSR.err("trunkline edge: the call after a voice message was gone\n")
                continue
            if action.get("do") != "unblock":
                continue
            try:
                media.NgClient(self.ng_address).command(
                    "unblock media", **{"call-id": action["call_id"], "from-tag": action["tag"]}
                )
            except (OSError, ValueError) as error:
                KSR.err(f"trunkline edge: unblock media failed: {error}\n")
        return 1

    # ------------------------------------------------------------ dialog events
    def ksr_dialog_event(self, msg, name):
        call_id = KSR.pv.get("$dlg(callid)") or KSR.pv.get("$ci") or ""
        if name == "dialog:start":
            self.emit(
                "answer",
                call_id,
                position=int(KSR.pv.get("$dlg_var(pos)") or 0),
                number=KSR.pv.get("$dlg_var(number)") or "",
            )
        elif name == "dialog:end":
            if KSR.pv.get("$rm") == "BYE":
                reason = "caller_bye" if KSR.pv.get("$ft") == KSR.pv.get("$dlg_var(ftag)") else "callee_bye"
            else:
                reason = "timeout"
            self.emit("end", call_id, reason=reason)
        elif name == "dialog:failed":
            code = int(KSR.pv.get("$dlg_var(last_code)") or KSR.pv.get("$rs") or 0)
            self.emit("fail", call_id, code=code)
        return 1
