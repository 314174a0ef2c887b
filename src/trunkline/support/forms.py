"""Forms of the support pages. They only collect input; the services validate and decide."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from trunkline.support.models import CalendarDayKind, EscalationStep, MaintenanceStatus, Priority, TicketStatus
from trunkline.support.models.tickets import PRIORITY_GUIDANCE
from trunkline.support.selectors import service_list


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


def _service_choices() -> list[tuple[str, Any]]:
    language = get_language() or "en"
    return [("", _("I don't know"))] + [(s.code, s.name_in(language)) for s in service_list()]


def priority_choices() -> list[tuple[str, Any]]:
    """Each priority with the classification guidance of PT-7.6 beside it."""
    return [
        (value, format_html("<strong>{}</strong> — {}", label, PRIORITY_GUIDANCE[Priority(value)]))
        for value, label in Priority.choices
    ]


class TicketForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=200)
    priority = forms.ChoiceField(
        label=_("Priority"),
        widget=forms.RadioSelect,
        help_text=_(
            "Critical tickets are handled around the clock; the others on working days 09:00–18:00 Sofia time."
        ),
    )
    service = forms.ChoiceField(label=_("Affected service"), required=False)
    escalation_step = forms.ChoiceField(
        label=_("Escalation step reached"),
        choices=EscalationStep.choices,
        initial=EscalationStep.HELP_DESK,
        help_text=_(
            "Issue found → your project manager → your infrastructure / telecom team → your CRM team → our help desk."
        ),
    )
    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "What happens, since when, for whom, and what you tried. The clock starts on a complete description."
        ),
    )
    attachments = MultipleFileField(label=_("Attachments"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["priority"]).choices = priority_choices()
        cast(forms.ChoiceField, self.fields["service"]).choices = _service_choices()


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 5}))
    attachments = MultipleFileField(label=_("Attachments"), required=False)


class StaffReplyForm(ReplyForm):
    is_internal = forms.BooleanField(label=_("Internal note (not shown to the customer)"), required=False)


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", "—"), *((v, label) for v, label in TicketStatus.choices if v != TicketStatus.NEW)],
    )
    detail = forms.CharField(label=_("Note to the customer"), required=False, max_length=300)


class AssignForm(forms.Form):
    assignee = forms.TypedChoiceField(label=_("Assignee"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, staff: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["assignee"]).choices = [("", _("Nobody")), *staff]


class PriorityForm(forms.Form):
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)


class MaintenanceForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("maintenance", _("Planned maintenance")), ("incident", _("Incident"))]
    )
    title_en = forms.CharField(label=_("Title (English)"), max_length=200)
    title_bg = forms.CharField(label=_("Title (Bulgarian)"), max_length=200)
    text_en = forms.CharField(label=_("Text (English)"), widget=forms.Textarea(attrs={"rows": 3}))
    text_bg = forms.CharField(label=_("Text (Bulgarian)"), widget=forms.Textarea(attrs={"rows": 3}))
    services = forms.MultipleChoiceField(label=_("Services affected"), widget=forms.CheckboxSelectMultiple)
    starts_at = forms.DateTimeField(
        label=_("Starts at (Sofia time)"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label=_("Ends at (Sofia time)"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        language = get_language() or "en"
        cast(forms.ChoiceField, self.fields["services"]).choices = [
            (s.code, s.name_in(language)) for s in service_list()
        ]


class MaintenanceCloseForm(forms.Form):
    status = forms.ChoiceField(
        choices=[(MaintenanceStatus.CANCELLED, _("Cancel")), (MaintenanceStatus.RESOLVED, _("Resolved"))]
    )


def _integers(value: str) -> list[int]:
    try:
        return [int(part) for part in value.replace(";", ",").split(",") if part.strip()]
    except ValueError:
        raise forms.ValidationError(_("Use whole numbers separated by commas.")) from None


class PolicyForm(forms.Form):
    maintenance_notice_hours = forms.IntegerField(label=_("Maintenance notice lead time (hours)"), min_value=1)
    team_email = forms.EmailField(label=_("Support team email"), required=False)
    warning_percents = forms.CharField(
        label=_("Warn at percent of the target"), required=False, help_text=_("For example: 50, 80")
    )
    warning_minutes = forms.CharField(
        label=_("Warn minutes before the deadline"), required=False, help_text=_("For example: 15")
    )

    def clean_warning_percents(self) -> list[int]:
        return _integers(self.cleaned_data["warning_percents"])

    def clean_warning_minutes(self) -> list[int]:
        return _integers(self.cleaned_data["warning_minutes"])


class CalendarDayForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=_("Kind"), choices=CalendarDayKind.choices)
    name = forms.CharField(label=_("Name"), required=False, max_length=200)


class RepresentativeForm(forms.Form):
    organization = forms.ChoiceField(label=_("Customer"))
    name = forms.CharField(label=_("Name"), max_length=200)
    email = forms.EmailField(label=_("Email"))
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)

    def __init__(self, *args: Any, organizations: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["organization"]).choices = organizations
