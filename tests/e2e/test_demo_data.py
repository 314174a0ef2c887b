"""The first command's demo data loads on an empty database, twice without duplicating anything."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from trunkline.billing.models import Invoice, Payment
from trunkline.channels.models import Channel
from trunkline.commerce.models import Order
from trunkline.inbox.models import Message

pytestmark = pytest.mark.django_db


def test_demo_data_is_idempotent_and_tells_a_money_story():
    call_command("demo_data", stdout=StringIO())
    call_command("demo_data", stdout=StringIO())

    assert sorted(Order.objects.values_list("status", flat=True)) == ["awaiting_signatures", "fulfilled", "invoiced"]
    assert sorted(Invoice.objects.values_list("status", flat=True)) == ["issued", "paid", "superseded"]
    assert Payment.objects.count() == 2
    smpp = Channel.objects.get(provider="smpp")
    assert smpp.settings["port"] == 2775  # the Procfile's stand-in SMSC
    assert [(m.direction, m.status) for m in Message.objects.filter(channel=smpp).order_by("pk")] == [
        ("inbound", "received"),
        ("outbound", "delivered"),
    ]
