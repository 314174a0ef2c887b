"""A channel can be connected only to a provider that has a working adapter; anything else is a clear 422."""

from __future__ import annotations

import pytest

from trunkline.channels.models import Channel
from trunkline.channels.services import channel_create
from trunkline.core.errors import ValidationFailedError
from trunkline.testing.factories import ctx_for, member

pytestmark = pytest.mark.django_db


def test_a_provider_without_an_adapter_is_refused_and_nothing_is_stored():
    admin = member(kind="customer", role="admin", accepted_terms=True)
    with pytest.raises(ValidationFailedError) as error:
        channel_create(ctx=ctx_for(admin), name="SMPP", provider="smpp", sender="+359881234567")
    assert "provider" in error.value.fields
    assert not Channel.objects.exists()
