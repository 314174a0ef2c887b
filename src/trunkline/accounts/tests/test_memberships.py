import re

import pytest
import time_machine
from django.core import mail
from django.test import Client

from trunkline.accounts.services import membership_add, membership_change_role, membership_remove
from trunkline.audit.models import AuditEvent
from trunkline.core.errors import DomainError, NotFoundError
from trunkline.tenancy.models import Membership
from trunkline.testing.factories import ctx_for, member

pytestmark = pytest.mark.django_db
LINK = re.compile(r"http://127\.0\.0\.1:8000(/accounts/password/reset/key/\S+)")


def set_password_path() -> str:
    match = LINK.search(str(mail.outbox[-1].body))
    assert match, mail.outbox[-1].body
    return match.group(1)


def set_password(client: Client, path: str, password: str):
    page = client.get(path, follow=True)
    return client.post(
        page.redirect_chain[-1][0] if page.redirect_chain else path,
        {"password1": password, "password2": password},
        follow=True,
    )


def test_a_newcomer_sets_a_password_through_a_single_use_link(django_capture_on_commit_callbacks):
    """Adding a person emails a link; it sets the password once and is dead afterwards."""
    admin = member(role="admin")
    with django_capture_on_commit_callbacks(execute=True):
        membership_add(ctx=ctx_for(admin), email="Newcomer@Example.com", role="agent", first_name="Nina")
    assert mail.outbox[-1].to == ["newcomer@example.com"]
    assert "Set your password with this link" in mail.outbox[-1].body
    path = set_password_path()
    client = Client()
    set_password(client, path, "a-long-new-password-1")
    assert client.login(email="newcomer@example.com", password="a-long-new-password-1")
    reused = Client().get(path, follow=True)
    assert "The password reset link was invalid" in reused.content.decode()
    assert Membership.objects.get(user__email="newcomer@example.com").invitations_sent == 1


def test_the_link_expires_after_48_hours(django_capture_on_commit_callbacks):
    """A link opened 49 hours later no longer sets a password."""
    admin = member(role="admin")
    with time_machine.travel("2026-11-23 09:00Z", tick=False), django_capture_on_commit_callbacks(execute=True):
        membership_add(ctx=ctx_for(admin), email="late@example.com", role="agent")
    path = set_password_path()
    with time_machine.travel("2026-11-25 10:00Z", tick=False):
        page = Client().get(path, follow=True)
    assert "The password reset link was invalid" in page.content.decode()


def test_adding_an_existing_member_is_a_conflict_and_changes_nothing():
    """The same person twice in one organisation is refused with a clear code."""
    admin = member(role="admin")
    membership_add(ctx=ctx_for(admin), email="dup@example.com", role="agent")
    events = AuditEvent.objects.count()
    with pytest.raises(DomainError) as error:
        membership_add(ctx=ctx_for(admin), email="dup@example.com", role="admin")
    assert error.value.code == "accounts.membership_exists"
    assert Membership.objects.filter(user__email="dup@example.com").get().role == "agent"
    assert AuditEvent.objects.count() == events


def test_an_organisation_keeps_its_last_administrator():
    """The only admin can neither be demoted nor removed."""
    admin = member(role="admin")
    with pytest.raises(DomainError) as error:
        membership_change_role(ctx=ctx_for(admin), membership_id=admin.public_id, role="agent")
    assert error.value.code == "accounts.last_administrator"
    with pytest.raises(DomainError) as error:
        membership_remove(ctx=ctx_for(admin), membership_id=admin.public_id)
    assert error.value.code == "accounts.last_administrator"


def test_roles_are_those_of_the_organisation_kind():
    """A customer cannot be given a reseller-only role."""
    admin = member(role="admin")
    with pytest.raises(DomainError) as error:
        membership_add(ctx=ctx_for(admin), email="x@example.com", role="staff")
    assert error.value.code == "accounts.unknown_role"
    assert error.value.detail == {"fields": {"role": ["staff is not a role of this kind of organisation."]}}


def test_another_organisations_member_is_not_found():
    """An admin cannot change a membership of another organisation: 404, and it stays as it was."""
    admin, stranger = member(role="admin"), member(role="agent")
    with pytest.raises(NotFoundError):
        membership_change_role(ctx=ctx_for(admin), membership_id=stranger.public_id, role="admin")
    stranger.refresh_from_db()
    assert stranger.role == "agent"


@pytest.mark.rule("PT-2.9")
def test_a_customer_has_several_people_each_with_their_own_login(django_capture_on_commit_callbacks):
    """An admin adds two agents; each gets their own link and signs in with their own password."""
    admin = member(role="admin")
    for email in ("one@example.com", "two@example.com"):
        with django_capture_on_commit_callbacks(execute=True):
            membership_add(ctx=ctx_for(admin), email=email, role="agent")
        set_password(Client(), set_password_path(), f"{email}-long-password")
    assert admin.organization.memberships.count() == 3
    for email in ("one@example.com", "two@example.com"):
        assert Client().login(email=email, password=f"{email}-long-password")
    assert not Client().login(email="one@example.com", password="two@example.com-long-password")
