"""The PBX API: User Numbers and their hunt order, trunks, calls (with CSV export), statistics, configuration
requests and the bandwidth calculator. Thin: every write is a service, every read a selector."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status, UploadedFile
from pydantic import Field

from trunkline.core import clock
from trunkline.core.api import ERROR_RESPONSES, Page, PageIn, ctx_of, paginate
from trunkline.core.context import require_scope
from trunkline.core.errors import ValidationFailedError
from trunkline.telephony import selectors
from trunkline.telephony.domain.bandwidth import bandwidth_needed
from trunkline.telephony.domain.statistics import Tally
from trunkline.telephony.models import BusinessNumber, ConfigurationRequest, Trunk, UserNumber, VoiceAsset
from trunkline.telephony.schemas import (
    BandwidthOut,
    BusinessHoursIn,
    BusinessHoursOut,
    BusinessNumberIn,
    BusinessNumberOut,
    BusinessNumberUpdateIn,
    CallOut,
    CarrierIn,
    CarrierOut,
    ConfigurationRequestIn,
    ConfigurationRequestOut,
    HuntOrderIn,
    OpsConfigurationRequestOut,
    OpsVoiceAssetOut,
    RightsClaimIn,
    StatisticsOut,
    TextFeedbackIn,
    TextProposalIn,
    TrunkIn,
    TrunkOut,
    TrunkUpdateIn,
    UserNumberIn,
    UserNumberMediaIn,
    UserNumberOut,
    VoiceAssetIn,
    VoiceAssetOut,
)
from trunkline.telephony.services import (
    business_number_add,
    business_number_remove,
    business_number_update,
    business_numbers_reorder,
    carrier_create,
    configuration_request_complete,
    configuration_request_information_complete,
    configuration_request_open,
    trunk_create,
    trunk_update,
    user_number_add,
    user_number_set_hours,
    user_number_set_media,
    voice_asset_acknowledge,
    voice_asset_claim_rights,
    voice_asset_order,
    voice_asset_pay,
    voice_asset_text_approve,
    voice_asset_text_propose,
    voice_asset_text_reject,
    voice_asset_upload,
)
from trunkline.telephony.services.assets import MAX_UPLOAD_BYTES

router = Router(tags=["telephony"])


def _own(request: HttpRequest, model: type[Any], public_id: UUID) -> Any:
    """Another organisation's object answers 404 before any permission check, so nothing about it leaks."""
    ctx = ctx_of(request)
    model.objects.get_for_org(ctx.organization, public_id=public_id)
    return ctx


def _visible(request: HttpRequest, model: type[Any], public_id: UUID) -> Any:
    """Operator staff reach every organisation's object; anyone else only their own (another's answers 404 before
    any permission check)."""
    ctx = ctx_of(request)
    if not ctx.is_operator:
        model.objects.get_for_org(ctx.organization, public_id=public_id)
    return ctx


@router.get(
    "/telephony/user-numbers",
    response={200: list[UserNumberOut], **ERROR_RESPONSES},
    operation_id="telephony_user_number_list",
    summary="List User Numbers",
)
def user_number_list_api(request: HttpRequest) -> list[Any]:
    """Your User Numbers, each with its business numbers in hunt order."""
    return list(selectors.user_number_list(ctx=ctx_of(request)))


@router.post(
    "/telephony/user-numbers",
    response={201: UserNumberOut, **ERROR_RESPONSES},
    operation_id="telephony_user_number_add",
    summary="Add a User Number",
)
def user_number_add_api(request: HttpRequest, payload: UserNumberIn) -> Status:
    ctx = ctx_of(request)
    user_number = user_number_add(ctx=ctx, number=payload.number, label=payload.label, source=payload.source)
    return Status(201, selectors.user_number_get(ctx=ctx, public_id=user_number.public_id))


@router.get(
    "/telephony/user-numbers/{user_number_id}",
    response={200: UserNumberOut, **ERROR_RESPONSES},
    operation_id="telephony_user_number_get",
    summary="Get a User Number",
)
def user_number_get_api(request: HttpRequest, user_number_id: UUID) -> Any:
    return selectors.user_number_get(ctx=_own(request, UserNumber, user_number_id), public_id=user_number_id)


@router.post(
    "/telephony/user-numbers/{user_number_id}/business-numbers",
    response={201: BusinessNumberOut, **ERROR_RESPONSES},
    operation_id="telephony_business_number_add",
    summary="Add a business number to the end of the hunt",
)
def business_number_add_api(request: HttpRequest, user_number_id: UUID, payload: BusinessNumberIn) -> Status:
    business_number = business_number_add(
        ctx=_own(request, UserNumber, user_number_id),
        user_number_id=user_number_id,
        number=payload.number,
        destination=payload.destination,
        ring_seconds=payload.ring_seconds,
    )
    return Status(201, business_number)


@router.put(
    "/telephony/user-numbers/{user_number_id}/hunt-order",
    response={200: list[BusinessNumberOut], **ERROR_RESPONSES},
    operation_id="telephony_hunt_reorder",
    summary="Set the hunt order",
)
def hunt_reorder_api(request: HttpRequest, user_number_id: UUID, payload: HuntOrderIn) -> list[Any]:
    """The next call rings the business numbers in this order; the edge picks it up without a restart."""
    ctx = _own(request, UserNumber, user_number_id)
    return business_numbers_reorder(ctx=ctx, user_number_id=user_number_id, order=payload.order)


@router.patch(
    "/telephony/business-numbers/{business_number_id}",
    response={200: BusinessNumberOut, **ERROR_RESPONSES},
    operation_id="telephony_business_number_update",
    summary="Change a business number's ring timeout or PBX address",
)
def business_number_update_api(request: HttpRequest, business_number_id: UUID, payload: BusinessNumberUpdateIn) -> Any:
    return business_number_update(
        ctx=_own(request, BusinessNumber, business_number_id),
        business_number_id=business_number_id,
        ring_seconds=payload.ring_seconds,
        destination=payload.destination,
    )


@router.delete(
    "/telephony/business-numbers/{business_number_id}",
    response={204: None, **ERROR_RESPONSES},
    operation_id="telephony_business_number_remove",
    summary="Remove a business number from the hunt",
)
def business_number_remove_api(request: HttpRequest, business_number_id: UUID) -> Status:
    business_number_remove(ctx=_own(request, BusinessNumber, business_number_id), business_number_id=business_number_id)
    return Status(204, None)


@router.get(
    "/telephony/trunks",
    response={200: list[TrunkOut], **ERROR_RESPONSES},
    operation_id="telephony_trunk_list",
    summary="List trunks",
)
def trunk_list_api(request: HttpRequest) -> list[Any]:
    return list(selectors.trunk_list(ctx=ctx_of(request)))


@router.post(
    "/telephony/trunks",
    response={201: TrunkOut, **ERROR_RESPONSES},
    operation_id="telephony_trunk_create",
    summary="Register a PBX trunk",
)
def trunk_create_api(request: HttpRequest, payload: TrunkIn) -> Status:
    """Calls are accepted only from these addresses with these calling numbers (PT-17.11)."""
    return Status(
        201,
        trunk_create(
            ctx=ctx_of(request), name=payload.name, addresses=payload.addresses, calling_numbers=payload.calling_numbers
        ),
    )


@router.patch(
    "/telephony/trunks/{trunk_id}",
    response={200: TrunkOut, **ERROR_RESPONSES},
    operation_id="telephony_trunk_update",
    summary="Change a trunk",
)
def trunk_update_api(request: HttpRequest, trunk_id: UUID, payload: TrunkUpdateIn) -> Any:
    return trunk_update(ctx=_own(request, Trunk, trunk_id), trunk_id=trunk_id, **payload.dict(exclude_unset=True))


class CallFilterIn(Schema):
    start: datetime | None = None
    end: datetime | None = None
    user_number_id: UUID | None = None


@router.get(
    "/telephony/calls",
    response={200: Page[CallOut], **ERROR_RESPONSES},
    operation_id="telephony_call_list",
    summary="List calls",
)
def call_list_api(request: HttpRequest, params: Query[PageIn], filters: Query[CallFilterIn]) -> dict[str, Any]:
    """Call records, newest first, with each business number tried."""
    calls = selectors.call_list(
        ctx=ctx_of(request), start=filters.start, end=filters.end, user_number_id=filters.user_number_id
    )
    return paginate(calls, params, orderings=("started_at", "-started_at"))


@router.get(
    "/telephony/calls/export",
    response={200: str, **ERROR_RESPONSES},
    operation_id="telephony_call_export",
    summary="Export calls as CSV",
)
def call_export_api(request: HttpRequest, filters: Query[CallFilterIn]) -> HttpResponse:
    calls = selectors.call_list(
        ctx=ctx_of(request), start=filters.start, end=filters.end, user_number_id=filters.user_number_id
    )
    response = HttpResponse(selectors.calls_csv(calls), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="calls.csv"'
    return response


class StatisticsIn(Schema):
    start: datetime | None = Field(None, description="Default: 7 days before end.")
    end: datetime | None = Field(None, description="Default: now.")
    group: str = Field("day", pattern="^(day|hour)$")


def _tally(label: str, tally: Tally) -> dict[str, Any]:
    return {"label": label, **tally.as_dict()}


@router.get(
    "/telephony/statistics",
    response={200: StatisticsOut, **ERROR_RESPONSES},
    operation_id="telephony_statistics",
    summary="Call statistics per day or hour",
)
def statistics_api(request: HttpRequest, params: Query[StatisticsIn]) -> dict[str, Any]:
    """Calls, answered, missed, busy, ASR and ACD per day or hour in your time zone, per User Number and per
    business number (PT-15.1)."""
    end = params.end or clock.now()
    start = params.start or end - timedelta(days=7)
    stats = selectors.call_statistics(ctx=ctx_of(request), start=start, end=end, group=params.group)
    return {
        "zone": stats.zone,
        "group": stats.group,
        "total": stats.total.as_dict(),
        "buckets": [_tally(label, tally) for label, tally in stats.buckets],
        "by_user_number": [_tally(label, tally) for label, tally in stats.by_user_number],
        "by_business_number": [_tally(label, tally) for label, tally in stats.by_business_number],
        "rejected": stats.rejected,
    }


@router.get(
    "/telephony/configuration-requests",
    response={200: list[ConfigurationRequestOut], **ERROR_RESPONSES},
    operation_id="telephony_configuration_request_list",
    summary="List configuration requests",
)
def configuration_request_list_api(request: HttpRequest) -> list[Any]:
    """Each with its deadline in working days once all information is in (PT-15.7)."""
    return list(selectors.configuration_request_list(ctx=ctx_of(request)))


@router.post(
    "/telephony/configuration-requests",
    response={201: ConfigurationRequestOut, **ERROR_RESPONSES},
    operation_id="telephony_configuration_request_open",
    summary="Ask for PBX configuration",
)
def configuration_request_open_api(request: HttpRequest, payload: ConfigurationRequestIn) -> Status:
    return Status(201, configuration_request_open(ctx=ctx_of(request), details=payload.details))


class BandwidthIn(Schema):
    ip_phone_lines: int = Field(0, ge=0, le=100000)
    web_phone_lines: int = Field(0, ge=0, le=100000)


@router.get(
    "/telephony/bandwidth",
    response={200: BandwidthOut, **ERROR_RESPONSES},
    operation_id="telephony_bandwidth",
    summary="Bandwidth for simultaneous lines",
)
def bandwidth_api(request: HttpRequest, params: Query[BandwidthIn]) -> dict[str, int]:
    """80 kbit/s per IP-phone line and 145 kbit/s per web-phone line, each direction (PT-16)."""
    require_scope(ctx_of(request), "telephony:manage")
    plan = bandwidth_needed(ip_phone_lines=params.ip_phone_lines, web_phone_lines=params.web_phone_lines)
    return {
        "ip_phone_lines": plan.ip_phone_lines,
        "web_phone_lines": plan.web_phone_lines,
        "ip_phone_kbits": plan.ip_phone_kbits,
        "web_phone_kbits": plan.web_phone_kbits,
        "total_kbits": plan.total_kbits,
    }


@router.put(
    "/telephony/user-numbers/{user_number_id}/media",
    response={200: UserNumberOut, **ERROR_RESPONSES},
    operation_id="telephony_user_number_set_media",
    summary="Choose a User Number's greeting and music",
)
def user_number_set_media_api(request: HttpRequest, user_number_id: UUID, payload: UserNumberMediaIn) -> Any:
    """The greeting plays to the caller on answer, the music while the call is forwarded; each only once its
    workflow is complete (status ``ready``). ``null`` plays nothing (PT-20)."""
    ctx = _own(request, UserNumber, user_number_id)
    user_number_set_media(
        ctx=ctx, user_number_id=user_number_id, greeting_id=payload.greeting_id, music_id=payload.music_id
    )
    return selectors.user_number_get(ctx=ctx, public_id=user_number_id)


@router.put(
    "/telephony/user-numbers/{user_number_id}/business-hours",
    response={200: BusinessHoursOut, **ERROR_RESPONSES},
    operation_id="telephony_user_number_set_hours",
    summary="Set a User Number's business hours",
)
def user_number_set_hours_api(request: HttpRequest, user_number_id: UUID, payload: BusinessHoursIn) -> Any:
    """A weekly schedule in your organisation's time zone, closed on Bulgarian public holidays unless
    ``closed_on_holidays`` is false. Outside it: ``forward`` to ``after_hours_numbers``, play the greeting
    ``message_id`` then hang up (``message``), or ``busy``. The next call follows it."""
    return user_number_set_hours(
        ctx=_own(request, UserNumber, user_number_id),
        user_number_id=user_number_id,
        is_enabled=payload.is_enabled,
        weekly=payload.weekly,
        closed_on_holidays=payload.closed_on_holidays,
        after_hours=payload.after_hours,
        after_hours_numbers=[item.dict() for item in payload.after_hours_numbers],
        message_id=payload.message_id,
    )


@router.get(
    "/telephony/voice-assets",
    response={200: list[VoiceAssetOut], **ERROR_RESPONSES},
    operation_id="telephony_voice_asset_list",
    summary="List your music and voice messages",
)
def voice_asset_list_api(request: HttpRequest) -> list[Any]:
    return list(selectors.voice_asset_list(ctx=ctx_of(request)))


@router.post(
    "/telephony/voice-assets",
    response={201: VoiceAssetOut, **ERROR_RESPONSES},
    operation_id="telephony_voice_asset_order",
    summary="Order music or a voice message",
)
def voice_asset_order_api(request: HttpRequest, payload: VoiceAssetIn) -> Status:
    """Your own recording (``origin=customer``: upload it with your rights declaration) or one the operator records
    from ``text`` (``origin=operator``: you approve the text first, PT-21). It plays once paid, acknowledged by the
    operator and converted to 8 kHz A-law (PT-20)."""
    asset = voice_asset_order(
        ctx=ctx_of(request), kind=payload.kind, origin=payload.origin, title=payload.title, text=payload.text
    )
    return Status(201, asset)


@router.post(
    "/telephony/voice-assets/{asset_id}/file",
    response={200: VoiceAssetOut, **ERROR_RESPONSES},
    operation_id="telephony_voice_asset_upload",
    summary="Upload the WAV of a voice asset",
)
def voice_asset_upload_api(
    request: HttpRequest,
    asset_id: UUID,
    rights_declaration: Form[str] = "",
    file: File[UploadedFile | None] = None,
) -> Any:
    """multipart/form-data: ``file`` (WAV, PCM 8/16-bit or A-law, any rate, mono or stereo, at most 20 MB and 10
    minutes) and, for your own file, ``rights_declaration`` (who holds the rights and that you may use them). The
    audio is checked and converted to 8 kHz mono A-law; a file that cannot be used is refused (422
    ``telephony.asset_format``) with the reason. Operator staff upload the recording of an approved text here."""
    ctx = _visible(request, VoiceAsset, asset_id)
    if file is None:
        raise ValidationFailedError(fields={"file": [_("Choose a WAV file.")]})
    if file.size and file.size > MAX_UPLOAD_BYTES:
        raise ValidationFailedError(fields={"file": [_("The file is larger than 20 MB.")]})
    return voice_asset_upload(ctx=ctx, asset_id=asset_id, data=file.read(), rights_declaration=rights_declaration)


@router.post(
    "/telephony/voice-assets/{asset_id}/text/approve",
    response={200: VoiceAssetOut, **ERROR_RESPONSES},
    operation_id="telephony_voice_asset_text_approve",
    summary="Approve the text the operator will record",
)
def voice_asset_text_approve_api(request: HttpRequest, asset_id: UUID) -> Any:
    return voice_asset_text_approve(ctx=_own(request, VoiceAsset, asset_id), asset_id=asset_id)


@router.post(
    "/telephony/voice-assets/{asset_id}/text/reject",
    response={200: VoiceAssetOut, **ERROR_RESPONSES},
    operation_id="telephony_voice_asset_text_reject",
    summary="Reject the text the operator proposed",
)
def voice_asset_text_reject_api(request: HttpRequest, asset_id: UUID, payload: TextFeedbackIn) -> Any:
    """Say what to change; the operator proposes another text before recording anything (PT-21)."""
    return voice_asset_text_reject(
        ctx=_own(request, VoiceAsset, asset_id), asset_id=asset_id, feedback=payload.feedback
    )


# ---- Operator staff ------------------------------------------------------------------------------------------------


@router.get(
    "/telephony/carriers",
    response={200: list[CarrierOut], **ERROR_RESPONSES},
    operation_id="telephony_carrier_list",
    summary="List carriers (operator staff)",
)
def carrier_list_api(request: HttpRequest) -> list[Any]:
    return list(selectors.carrier_list(ctx=ctx_of(request)))


@router.post(
    "/telephony/carriers",
    response={201: CarrierOut, **ERROR_RESPONSES},
    operation_id="telephony_carrier_create",
    summary="Add a carrier (operator staff)",
)
def carrier_create_api(request: HttpRequest, payload: CarrierIn) -> Status:
    """Calls from the carrier's addresses reach User Numbers; the first carrier with a gateway takes calls out."""
    carrier = carrier_create(
        ctx=ctx_of(request), name=payload.name, addresses=payload.addresses, gateway=payload.gateway
    )
    return Status(201, carrier)


@router.get(
    "/telephony/ops/configuration-requests",
    response={200: list[OpsConfigurationRequestOut], **ERROR_RESPONSES},
    operation_id="telephony_ops_configuration_request_list",
    summary="Every customer's configuration requests (operator staff)",
)
def ops_configuration_request_list_api(request: HttpRequest, status: str = "") -> list[Any]:
    return list(selectors.configuration_request_list_all(ctx=ctx_of(request), status=status))


@router.post(
    "/telephony/configuration-requests/{request_id}/information-complete",
    response={200: OpsConfigurationRequestOut, **ERROR_RESPONSES},
    operation_id="telephony_configuration_request_information_complete",
    summary="All required information is in (operator staff)",
)
def configuration_information_complete_api(request: HttpRequest, request_id: UUID) -> Any:
    """Starts the deadline: the policy's working days (Bulgarian calendar) from now, shown to the customer
    (PT-15.7)."""
    return configuration_request_information_complete(
        ctx=_visible(request, ConfigurationRequest, request_id), request_id=request_id
    )


@router.post(
    "/telephony/configuration-requests/{request_id}/done",
    response={200: OpsConfigurationRequestOut, **ERROR_RESPONSES},
    operation_id="telephony_configuration_request_complete",
    summary="The configuration is done (operator staff)",
)
def configuration_done_api(request: HttpRequest, request_id: UUID) -> Any:
    return configuration_request_complete(
        ctx=_visible(request, ConfigurationRequest, request_id), request_id=request_id
    )


@router.get(
    "/telephony/ops/voice-assets",
    response={200: list[OpsVoiceAssetOut], **ERROR_RESPONSES},
    operation_id="telephony_ops_voice_asset_list",
    summary="Every customer's music and voice messages (operator staff)",
)
def ops_voice_asset_list_api(request: HttpRequest, status: str = "") -> list[Any]:
    return list(selectors.voice_asset_list_all(ctx=ctx_of(request), status=status))


@router.post(
    "/telephony/voice-assets/{asset_id}/paid",
    response={200: OpsVoiceAssetOut, **ERROR_RESPONSES},
    operation_id="telephony_voice_asset_pay",
    summary="Record the payment of a voice asset (operator staff)",
)
def voice_asset_pay_api(request: HttpRequest, asset_id: UUID) -> Any:
    return voice_asset_pay(ctx=_visible(request, VoiceAsset, asset_id), asset_id=asset_id)


@router.post(
    "/telephony/voice-assets/{asset_id}/acknowledged",
    response={200: OpsVoiceAssetOut, **ERROR_RESPONSES},
    operation_id="telephony_voice_asset_acknowledge",
    summary="Acknowledge a voice asset (operator staff)",
)
def voice_asset_acknowledge_api(request: HttpRequest, asset_id: UUID) -> Any:
    return voice_asset_acknowledge(ctx=_visible(request, VoiceAsset, asset_id), asset_id=asset_id)


@router.post(
    "/telephony/voice-assets/{asset_id}/text",
    response={200: OpsVoiceAssetOut, **ERROR_RESPONSES},
    operation_id="telephony_voice_asset_text_propose",
    summary="Propose the text to record (operator staff)",
)
def voice_asset_text_propose_api(request: HttpRequest, asset_id: UUID, payload: TextProposalIn) -> Any:
    """The customer approves or rejects it; nothing is recorded before the approval (PT-21)."""
    return voice_asset_text_propose(ctx=_visible(request, VoiceAsset, asset_id), asset_id=asset_id, text=payload.text)


@router.post(
    "/telephony/voice-assets/{asset_id}/rights-claim",
    response={200: OpsVoiceAssetOut, **ERROR_RESPONSES},
    operation_id="telephony_voice_asset_claim_rights",
    summary="Record a rights claim: stop playback at once (operator staff)",
)
def voice_asset_claim_rights_api(request: HttpRequest, asset_id: UUID, payload: RightsClaimIn) -> Any:
    """The asset stops playing in the next call and in calls in progress; audited (PT-20)."""
    return voice_asset_claim_rights(
        ctx=_visible(request, VoiceAsset, asset_id), asset_id=asset_id, reason=payload.reason
    )
