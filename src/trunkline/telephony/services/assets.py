"""Music and voice messages played in calls (PT-20, PT-21).

A customer-supplied file plays only after the order, its payment and the operator's acknowledgement, a format check
with conversion to 8 kHz A-law, and the customer's declaration that it holds the rights. A voice message the operator
records needs the customer's approval of its text before the recording is accepted. A rights claim stops playback at
once: the routing snapshot is republished without the file.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from trunkline.audit.services import audit_record
from trunkline.core import clock
from trunkline.core.context import RequestContext, require_scope
from trunkline.core.errors import MissingScopeError, NotFoundError
from trunkline.telephony.domain.audio import AudioFormatError, convert_to_alaw
from trunkline.telephony.edge.media import NgClient
from trunkline.telephony.errors import AssetFormatError, AssetStateError, TelephonyInvalidError
from trunkline.telephony.models import (
    AssetKind,
    AssetOrigin,
    AssetStatus,
    CallRecord,
    Disposition,
    UserNumber,
    VoiceAsset,
)
from trunkline.telephony.paths import media_dir, rtpengine_ng_address
from trunkline.telephony.services.routing import publish_after_commit

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
logger = logging.getLogger(__name__)


def _staff(ctx: RequestContext) -> None:
    require_scope(ctx, "ops:manage")
    if not ctx.is_operator:
        raise MissingScopeError(scope="ops:manage")


def _asset_for_update(*, ctx: RequestContext, asset_id: UUID) -> VoiceAsset:
    queryset = VoiceAsset.objects.select_for_update()
    if ctx.is_operator:
        return _any(queryset, asset_id)
    found: VoiceAsset = queryset.get_for_org(ctx.organization, public_id=asset_id)
    return found


def _any(queryset: Any, asset_id: UUID) -> VoiceAsset:
    try:
        asset: VoiceAsset = queryset.get(public_id=asset_id)
    except (VoiceAsset.DoesNotExist, ValueError):
        raise NotFoundError() from None
    return asset


def _refresh_status(asset: VoiceAsset) -> None:
    """READY once every step is done; the status otherwise names the furthest step reached."""
    if asset.status in (AssetStatus.STOPPED, AssetStatus.REFUSED):
        return
    text_ok = asset.origin == AssetOrigin.CUSTOMER or asset.text_approved_at is not None
    rights_ok = asset.origin == AssetOrigin.OPERATOR or asset.rights_declared_at is not None
    if asset.is_paid and asset.is_acknowledged and asset.file_name and text_ok and rights_ok:
        asset.status = AssetStatus.READY
    elif asset.is_acknowledged:
        asset.status = AssetStatus.ACKNOWLEDGED
    elif asset.is_paid:
        asset.status = AssetStatus.PAID
    elif asset.origin == AssetOrigin.OPERATOR and asset.text_approved_at:
        asset.status = AssetStatus.TEXT_APPROVED
    elif asset.origin == AssetOrigin.OPERATOR and asset.text_rejected_at:
        asset.status = AssetStatus.TEXT_REJECTED
    elif asset.origin == AssetOrigin.OPERATOR and asset.text:
        asset.status = AssetStatus.TEXT_PROPOSED
    else:
        asset.status = AssetStatus.ORDERED


def voice_asset_order(*, ctx: RequestContext, kind: str, origin: str, title: str, text: str = "") -> VoiceAsset:
    """The customer orders music or a voice message: its own file, or one the operator records from ``text``."""
    require_scope(ctx, "telephony:manage")
    if kind not in AssetKind.values or origin not in AssetOrigin.values:
        raise TelephonyInvalidError(fields={"kind": [_("Choose a kind and an origin.")]})
    if not title.strip():
        raise TelephonyInvalidError(fields={"title": [_("Give it a title.")]})
    with transaction.atomic():
        asset = VoiceAsset(
            organization=ctx.organization, kind=kind, origin=origin, title=title.strip()[:200], text=text
        )
        _refresh_status(asset)
        asset.save()
        audit_record(ctx=ctx, action="telephony.voice_asset_ordered", target=asset, changes={"kind": kind})
    return asset


def voice_asset_pay(*, ctx: RequestContext, asset_id: UUID) -> VoiceAsset:
    """Operator staff record that the order is paid."""
    _staff(ctx)
    return _step(ctx, asset_id, "telephony.voice_asset_paid", is_paid=True)


def voice_asset_acknowledge(*, ctx: RequestContext, asset_id: UUID) -> VoiceAsset:
    """Operator staff acknowledge the order (PT-20)."""
    _staff(ctx)
    return _step(ctx, asset_id, "telephony.voice_asset_acknowledged", is_acknowledged=True)


def _step(ctx: RequestContext, asset_id: UUID, action: str, **values: Any) -> VoiceAsset:
    with transaction.atomic():
        asset = _asset_for_update(ctx=ctx, asset_id=asset_id)
        if asset.status in (AssetStatus.STOPPED, AssetStatus.REFUSED):
            raise AssetStateError(status=asset.get_status_display())
        for name, value in values.items():
            setattr(asset, name, value)
        _refresh_status(asset)
        asset.save()
        audit_record(ctx=ctx, action=action, target=asset, organization=asset.organization, changes=values)
        publish_after_commit()
    return asset


def voice_asset_text_propose(*, ctx: RequestContext, asset_id: UUID, text: str) -> VoiceAsset:
    """Operator staff propose the text they will record; any earlier approval lapses (PT-21)."""
    _staff(ctx)
    if not text.strip():
        raise TelephonyInvalidError(fields={"text": [_("Write the text to record.")]})
    with transaction.atomic():
        asset = _asset_for_update(ctx=ctx, asset_id=asset_id)
        if asset.origin != AssetOrigin.OPERATOR or asset.file_name:
            raise AssetStateError(status=asset.get_status_display())
        asset.text = text.strip()
        asset.text_approved_at = None
        asset.text_rejected_at = None
        _refresh_status(asset)
        asset.save()
        audit_record(ctx=ctx, action="telephony.voice_text_proposed", target=asset, organization=asset.organization)
    return asset


def voice_asset_text_approve(*, ctx: RequestContext, asset_id: UUID) -> VoiceAsset:
    """The customer approves the text the operator will record (PT-21)."""
    require_scope(ctx, "telephony:manage")
    with transaction.atomic():
        asset = _asset_for_update(ctx=ctx, asset_id=asset_id)
        if asset.origin != AssetOrigin.OPERATOR or not asset.text or asset.text_approved_at or asset.text_rejected_at:
            raise AssetStateError(status=asset.get_status_display())
        asset.text_approved_at = clock.now()
        _refresh_status(asset)
        asset.save()
        audit_record(ctx=ctx, action="telephony.voice_text_approved", target=asset, changes={"text": asset.text})
    return asset


def voice_asset_text_reject(*, ctx: RequestContext, asset_id: UUID, feedback: str = "") -> VoiceAsset:
    """The customer rejects the proposed text, saying why; the operator proposes another before recording (PT-21)."""
    require_scope(ctx, "telephony:manage")
    with transaction.atomic():
        asset = _asset_for_update(ctx=ctx, asset_id=asset_id)
        if asset.origin != AssetOrigin.OPERATOR or not asset.text or asset.text_approved_at or asset.text_rejected_at:
            raise AssetStateError(status=asset.get_status_display())
        asset.text_rejected_at = clock.now()
        asset.text_feedback = feedback.strip()[:500]
        _refresh_status(asset)
        asset.save()
        audit_record(
            ctx=ctx,
            action="telephony.voice_text_rejected",
            target=asset,
            changes={"text": asset.text, "feedback": asset.text_feedback},
        )
    return asset


def voice_asset_upload(*, ctx: RequestContext, asset_id: UUID, data: bytes, rights_declaration: str = "") -> VoiceAsset:
    """The WAV arrives: from the customer with its rights declaration, or from the operator after the text was
    approved. It is checked and converted to 8 kHz A-law; a file that cannot be used is refused with the reason."""
    with transaction.atomic():
        asset = _asset_for_update(ctx=ctx, asset_id=asset_id)
        if asset.origin == AssetOrigin.OPERATOR:
            _staff(ctx)
            if asset.text_approved_at is None:
                raise AssetStateError(status=asset.get_status_display())
        else:
            require_scope(ctx, "telephony:manage")
            if ctx.is_operator:
                raise MissingScopeError(scope="telephony:manage")
            if not rights_declaration.strip():
                raise TelephonyInvalidError(
                    fields={"rights_declaration": [_("Declare that you hold the rights to this audio.")]}
                )
        if asset.status in (AssetStatus.STOPPED,):
            raise AssetStateError(status=asset.get_status_display())
        if len(data) > MAX_UPLOAD_BYTES:
            raise AssetFormatError(fields={"file": [_("The file is larger than 20 MB.")]})
        try:
            converted, report = convert_to_alaw(data)
        except AudioFormatError as error:
            raise AssetFormatError(
                fields={"file": [_("The audio cannot be used: %(why)s.") % {"why": error}]}
            ) from None
        name = f"{asset.public_id}.wav"
        path = media_dir() / name
        path.write_bytes(converted)
        asset.file_name = name
        asset.format_report = report
        if asset.origin == AssetOrigin.CUSTOMER:
            asset.rights_declared_at = clock.now()
            asset.rights_declaration = rights_declaration.strip()[:300]
        _refresh_status(asset)
        asset.save()
        audit_record(
            ctx=ctx,
            action="telephony.voice_asset_uploaded",
            target=asset,
            organization=asset.organization,
            changes={"report": report},
        )
        publish_after_commit()
    return asset


def voice_asset_claim_rights(*, ctx: RequestContext, asset_id: UUID, reason: str) -> VoiceAsset:
    """Operator staff record a rights claim: playback stops at once (the next call no longer plays it, PT-20)."""
    _staff(ctx)
    if not reason.strip():
        raise TelephonyInvalidError(fields={"reason": [_("Say who claims the rights.")]})
    with transaction.atomic():
        asset = _asset_for_update(ctx=ctx, asset_id=asset_id)
        asset.status = AssetStatus.STOPPED
        asset.claim_reason = reason.strip()[:300]
        asset.save()
        audit_record(
            ctx=ctx,
            action="telephony.voice_asset_stopped",
            target=asset,
            organization=asset.organization,
            changes={"reason": asset.claim_reason},
        )
        publish_after_commit()
        calls = list(
            CallRecord.objects.filter(
                organization=asset.organization,
                disposition=Disposition.IN_PROGRESS,
                user_number__in=UserNumber.objects.filter(Q(greeting=asset) | Q(music=asset)),
            ).values_list("call_id", flat=True)
        )
        if calls:
            transaction.on_commit(partial(media_stop_in_calls, call_ids=calls))
    return asset


def media_stop_in_calls(*, call_ids: list[str]) -> int:
    """Stop what rtpengine plays in calls in progress, and let the business number be heard (a rights claim stops
    playback at once, not only from the next call). Returns how many calls rtpengine confirmed; a call that ended
    meanwhile, or an rtpengine that is not running, is only logged."""
    client = NgClient(rtpengine_ng_address())
    stopped = 0
    for call_id in call_ids:
        try:
            answer = client.command("stop media", **{"call-id": call_id, "flags": ["all"]})
            client.command("unblock media", **{"call-id": call_id, "flags": ["all"]})
        except (OSError, ValueError) as error:
            logger.warning("stop media in call %s failed: %s", call_id, error)
            continue
        stopped += answer.get("result") == "ok"
    return stopped


def user_number_set_media(
    *, ctx: RequestContext, user_number_id: UUID, greeting_id: UUID | None, music_id: UUID | None
) -> UserNumber:
    """Choose the greeting played on answer and the music played while the call is forwarded."""
    require_scope(ctx, "telephony:manage")
    with transaction.atomic():
        user_number: UserNumber = UserNumber.objects.select_for_update().get_for_org(
            ctx.organization, public_id=user_number_id
        )
        greeting = (
            VoiceAsset.objects.get_for_org(ctx.organization, public_id=greeting_id, kind=AssetKind.GREETING)
            if greeting_id
            else None
        )
        music = (
            VoiceAsset.objects.get_for_org(ctx.organization, public_id=music_id, kind=AssetKind.MUSIC)
            if music_id
            else None
        )
        user_number.greeting = greeting
        user_number.music = music
        user_number.save()
        audit_record(
            ctx=ctx,
            action="telephony.user_number_media_set",
            target=user_number,
            changes={"greeting": str(greeting_id or ""), "music": str(music_id or "")},
        )
        publish_after_commit()
    return user_number
