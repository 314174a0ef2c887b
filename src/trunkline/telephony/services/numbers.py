"""User Numbers, their business numbers in hunt order, trunks and carriers. Each change republishes the routing
snapshot after commit, so the next call uses it without restarting the edge (PT-15.1, PT-17.11)."""

from __future__ import annotations

import ipaddress
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from trunkline.audit.services import audit_record
from trunkline.core.context import RequestContext, require_scope
from trunkline.core.errors import MissingScopeError
from trunkline.telephony.domain.numbers import calling_pattern, e164
from trunkline.telephony.errors import AddressTakenError, NumberTakenError, TelephonyInvalidError
from trunkline.telephony.models import BusinessNumber, Carrier, NumberSource, TelephonyPolicy, Trunk, UserNumber
from trunkline.telephony.services.routing import publish_after_commit
from trunkline.telephony.services.status import require_telephony_active

MAX_RING_SECONDS = 300


def _number(raw: str, field: str) -> str:
    try:
        return e164(raw)
    except ValueError:
        raise TelephonyInvalidError(fields={field: [_("Enter a phone number in international format.")]}) from None


def _ring(seconds: int | None) -> int:
    value = TelephonyPolicy.current().default_ring_seconds if seconds is None else seconds
    if not isinstance(value, int) or not 1 <= value <= MAX_RING_SECONDS:
        raise TelephonyInvalidError(
            fields={"ring_seconds": [_("Ring between 1 and %(max)s seconds.") % {"max": MAX_RING_SECONDS}]}
        )
    return value


def _addresses(raw: list[str], field: str = "addresses") -> list[str]:
    out: list[str] = []
    for item in raw:
        try:
            out.append(str(ipaddress.ip_address(str(item).strip())))
        except ValueError:
            raise TelephonyInvalidError(
                fields={field: [_("%(value)s is not an IP address.") % {"value": item}]}
            ) from None
    return sorted(set(out))


def _trunk_addresses_of(organization: Any) -> set[str]:
    return {address for trunk in Trunk.objects.for_org(organization) for address in trunk.addresses}


def _destination(ctx: RequestContext, raw: str) -> str:
    """A business number is delivered to one of the organisation's trunk addresses, or via the carrier ("")."""
    text = (raw or "").strip()
    if not text:
        return ""
    if text not in _trunk_addresses_of(ctx.organization):
        raise TelephonyInvalidError(fields={"destination": [_("Choose one of your trunk addresses.")]})
    return text


def user_number_add(
    *, ctx: RequestContext, number: str, label: str = "", source: str = NumberSource.OPERATOR
) -> UserNumber:
    """Add a User Number on which the PBX receives this customer's calls."""
    require_scope(ctx, "telephony:manage")
    require_telephony_active(ctx.organization)
    normalized = _number(number, "number")
    if source not in NumberSource.values:
        raise TelephonyInvalidError(fields={"source": [_("Choose operator or customer.")]})
    with transaction.atomic():
        if UserNumber.objects.filter(number=normalized).exists():
            raise NumberTakenError(number=normalized)
        try:
            with transaction.atomic():
                user_number = UserNumber.objects.create(
                    organization=ctx.organization, number=normalized, label=label[:100], source=source
                )
        except IntegrityError:
            raise NumberTakenError(number=normalized) from None
        audit_record(ctx=ctx, action="telephony.user_number_added", target=user_number, changes={"number": normalized})
        publish_after_commit()
    return user_number


def _user_number_for_update(ctx: RequestContext, user_number_id: UUID) -> UserNumber:
    user_number: UserNumber = UserNumber.objects.select_for_update().get_for_org(
        ctx.organization, public_id=user_number_id
    )
    return user_number


def business_number_add(
    *,
    ctx: RequestContext,
    user_number_id: UUID,
    number: str,
    destination: str = "",
    ring_seconds: int | None = None,
) -> BusinessNumber:
    """Append a business number to the end of a User Number's hunt order."""
    require_scope(ctx, "telephony:manage")
    require_telephony_active(ctx.organization)
    normalized = _number(number, "number")
    seconds = _ring(ring_seconds)
    with transaction.atomic():
        user_number = _user_number_for_update(ctx, user_number_id)
        target = _destination(ctx, destination)
        position = user_number.business_numbers.count()
        business_number = BusinessNumber.objects.create(
            organization=ctx.organization,
            user_number=user_number,
            number=normalized,
            destination=target,
            position=position,
            ring_seconds=seconds,
        )
        audit_record(
            ctx=ctx,
            action="telephony.business_number_added",
            target=business_number,
            changes={"user_number": user_number.number, "number": normalized, "position": position},
        )
        publish_after_commit()
    return business_number


def business_number_update(
    *,
    ctx: RequestContext,
    business_number_id: UUID,
    ring_seconds: int | None = None,
    destination: str | None = None,
) -> BusinessNumber:
    """Change a business number's ring timeout or PBX address."""
    require_scope(ctx, "telephony:manage")
    require_telephony_active(ctx.organization)
    with transaction.atomic():
        business_number: BusinessNumber = BusinessNumber.objects.select_for_update().get_for_org(
            ctx.organization, public_id=business_number_id
        )
        changes: dict[str, Any] = {}
        if ring_seconds is not None:
            changes["ring_seconds"] = [business_number.ring_seconds, _ring(ring_seconds)]
            business_number.ring_seconds = ring_seconds
        if destination is not None:
            changes["destination"] = [business_number.destination, _destination(ctx, destination)]
            business_number.destination = destination.strip()
        business_number.save()
        audit_record(ctx=ctx, action="telephony.business_number_changed", target=business_number, changes=changes)
        publish_after_commit()
    return business_number


def business_number_remove(*, ctx: RequestContext, business_number_id: UUID) -> None:
    """Take a business number out of the hunt; the ones after it move up."""
    require_scope(ctx, "telephony:manage")
    with transaction.atomic():
        business_number: BusinessNumber = BusinessNumber.objects.get_for_org(
            ctx.organization, public_id=business_number_id
        )
        user_number = _user_number_for_update(ctx, business_number.user_number.public_id)
        audit_record(
            ctx=ctx,
            action="telephony.business_number_removed",
            target=business_number,
            changes={"user_number": user_number.number, "number": business_number.number},
        )
        business_number.delete()
        for position, item in enumerate(user_number.business_numbers.order_by("position", "pk")):
            if item.position != position:
                item.position = position
                item.save(update_fields=["position", "updated_at"])
        publish_after_commit()


def business_numbers_reorder(*, ctx: RequestContext, user_number_id: UUID, order: list[UUID]) -> list[BusinessNumber]:
    """Set the hunt order: ``order`` lists every business number of the User Number exactly once."""
    require_scope(ctx, "telephony:manage")
    require_telephony_active(ctx.organization)
    with transaction.atomic():
        user_number = _user_number_for_update(ctx, user_number_id)
        current = {item.public_id: item for item in user_number.business_numbers.all()}
        wanted = [UUID(str(item)) for item in order]
        if sorted(map(str, wanted)) != sorted(map(str, current)):
            raise TelephonyInvalidError(fields={"order": [_("List each business number of this User Number once.")]})
        before = [current[key].number for key in sorted(current, key=lambda key: current[key].position)]
        for position, key in enumerate(wanted):
            item = current[key]
            if item.position != position:
                item.position = position
                item.save(update_fields=["position", "updated_at"])
        after = [current[key].number for key in wanted]
        audit_record(ctx=ctx, action="telephony.hunt_reordered", target=user_number, changes={"order": [before, after]})
        publish_after_commit()
    return [current[key] for key in wanted]


def _check_addresses_free(addresses: list[str], *, except_trunk: Trunk | None = None) -> None:
    trunks = Trunk.objects.select_for_update()
    if except_trunk is not None:
        trunks = trunks.exclude(pk=except_trunk.pk)
    taken = {address for trunk in trunks for address in trunk.addresses}
    taken |= {address for carrier in Carrier.objects.all() for address in carrier.addresses}
    for address in addresses:
        if address in taken:
            raise AddressTakenError(address=address)


def _patterns(raw: list[str]) -> list[str]:
    out: list[str] = []
    for item in raw:
        try:
            out.append(calling_pattern(item))
        except ValueError:
            raise TelephonyInvalidError(
                fields={"calling_numbers": [_("%(value)s: digits, optionally ending in *.") % {"value": item}]}
            ) from None
    return sorted(set(out))


def trunk_create(*, ctx: RequestContext, name: str, addresses: list[str], calling_numbers: list[str]) -> Trunk:
    """Register a customer PBX: calls are accepted only from its addresses with its calling numbers (PT-17.11)."""
    require_scope(ctx, "telephony:manage")
    require_telephony_active(ctx.organization)
    clean = _addresses(addresses)
    patterns = _patterns(calling_numbers)
    if not name.strip():
        raise TelephonyInvalidError(fields={"name": [_("Give the trunk a name.")]})
    with transaction.atomic():
        _check_addresses_free(clean)
        trunk = Trunk.objects.create(
            organization=ctx.organization, name=name.strip()[:100], addresses=clean, calling_numbers=patterns
        )
        audit_record(
            ctx=ctx,
            action="telephony.trunk_created",
            target=trunk,
            changes={"addresses": clean, "calling_numbers": patterns},
        )
        publish_after_commit()
    return trunk


def trunk_update(
    *,
    ctx: RequestContext,
    trunk_id: UUID,
    name: str | None = None,
    addresses: list[str] | None = None,
    calling_numbers: list[str] | None = None,
) -> Trunk:
    require_scope(ctx, "telephony:manage")
    require_telephony_active(ctx.organization)
    with transaction.atomic():
        trunk: Trunk = Trunk.objects.select_for_update().get_for_org(ctx.organization, public_id=trunk_id)
        changes: dict[str, Any] = {}
        if name is not None and name.strip():
            changes["name"] = [trunk.name, name.strip()]
            trunk.name = name.strip()[:100]
        if addresses is not None:
            clean = _addresses(addresses)
            _check_addresses_free(clean, except_trunk=trunk)
            changes["addresses"] = [trunk.addresses, clean]
            trunk.addresses = clean
        if calling_numbers is not None:
            patterns = _patterns(calling_numbers)
            changes["calling_numbers"] = [trunk.calling_numbers, patterns]
            trunk.calling_numbers = patterns
        trunk.save()
        audit_record(ctx=ctx, action="telephony.trunk_changed", target=trunk, changes=changes)
        publish_after_commit()
    return trunk


def carrier_create(*, ctx: RequestContext, name: str, addresses: list[str], gateway: str = "") -> Carrier:
    """Operator staff: an upstream carrier whose addresses deliver calls to User Numbers."""
    require_scope(ctx, "ops:manage")
    if not ctx.is_operator:
        raise MissingScopeError(scope="ops:manage")
    clean = _addresses(addresses)
    gateway_address = _addresses([gateway], "gateway")[0] if gateway else ""
    with transaction.atomic():
        _check_addresses_free(clean)
        carrier = Carrier.objects.create(name=name.strip()[:100], addresses=clean, gateway=gateway_address)
        audit_record(ctx=ctx, action="telephony.carrier_created", target=carrier, changes={"addresses": clean})
        publish_after_commit()
    return carrier
