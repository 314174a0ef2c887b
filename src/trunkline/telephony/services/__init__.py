"""The PBX's writers. Every change to routing data republishes the edge's routing snapshot after commit."""

from trunkline.telephony.services.assets import (
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
from trunkline.telephony.services.calls import call_events_ingest, spool_ingest
from trunkline.telephony.services.configuration import (
    configuration_request_complete,
    configuration_request_information_complete,
    configuration_request_open,
)
from trunkline.telephony.services.hours import user_number_set_hours
from trunkline.telephony.services.numbers import (
    business_number_add,
    business_number_remove,
    business_number_update,
    business_numbers_reorder,
    carrier_create,
    trunk_create,
    trunk_update,
    user_number_add,
)
from trunkline.telephony.services.routing import routing_snapshot_build, routing_snapshot_publish
from trunkline.telephony.services.unsolicited import unsolicited_check

__all__ = [
    "business_number_add",
    "business_number_remove",
    "business_number_update",
    "business_numbers_reorder",
    "call_events_ingest",
    "carrier_create",
    "configuration_request_complete",
    "configuration_request_information_complete",
    "configuration_request_open",
    "routing_snapshot_build",
    "routing_snapshot_publish",
    "spool_ingest",
    "trunk_create",
    "trunk_update",
    "unsolicited_check",
    "user_number_add",
    "user_number_set_hours",
    "user_number_set_media",
    "voice_asset_acknowledge",
    "voice_asset_claim_rights",
    "voice_asset_order",
    "voice_asset_pay",
    "voice_asset_text_approve",
    "voice_asset_text_propose",
    "voice_asset_text_reject",
    "voice_asset_upload",
]
