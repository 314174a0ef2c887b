"""Background work of onboarding: thin tasks, ids in, safe to run twice."""

from __future__ import annotations

from django.core.mail import send_mail
from django.db import transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import translation

from trunkline.audit.services import audit_record
from trunkline.onboarding.links import registration_password_url
from trunkline.onboarding.models import Registration


@task()
def registration_link_send_task(*, registration_id: int) -> None:
    """Email the newcomer the link to set their password. The link is made here, sent once and stored nowhere (not
    in a notice, not in the audit trail), so nobody but the addressee can ever read it."""
    with transaction.atomic():
        registration = (
            Registration.objects.select_for_update().select_related("user", "organization").get(pk=registration_id)
        )
        user = registration.user
        if registration.is_confirmed or user.has_usable_password():
            return
        context = {"registration": registration, "set_password_url": registration_password_url(user)}
        with translation.override(registration.language):
            subject = " ".join(render_to_string("onboarding/email/registration_link_subject.txt", context).split())
            body = render_to_string("onboarding/email/registration_link_body.txt", context)
        send_mail(subject, body, None, [user.email])
        audit_record(
            ctx=None,
            action="registration.link_sent",
            target=registration,
            organization=registration.organization,
            changes={"recipient": user.email},
        )
