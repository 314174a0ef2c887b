"""Forms of the messaging settings pages. The channel form is built from the provider's description
(``channels.providers``): a new provider brings its fields, the form and the template stay as they are."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from trunkline.channels.models import Channel
from trunkline.channels.providers import CREDENTIALS, ProviderField, description_for
from trunkline.core.errors import DomainError, ValidationFailedError
from trunkline.inbox.services.webhooks import EVENTS

COMMON_FIELDS = ("name", "sender")
IDENTIFICATION_FIELDS = ("identification_name", "identification_contact", "append_identification")
POLICY_FIELDS = (
    "rate_per_second",
    "segment_price",
    "expected_daily_segments",
    "throttle_over_expected",
    "throttled_rate_per_second",
)


def _provider_form_field(field: ProviderField, *, editing: bool) -> forms.Field:
    help_text = field.help_text
    if field.is_secret:
        help_text = (
            _("Stored encrypted and never shown again. Leave empty to keep the stored one.")
            if editing
            else _("Stored encrypted and never shown again.")
        )
        widget: forms.Widget = (
            forms.Textarea(attrs={"rows": 4, "autocomplete": "off"})
            if field.kind == "textarea"
            else forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})
        )
        return forms.CharField(
            label=field.label, required=field.required and not editing, help_text=help_text, widget=widget, strip=False
        )
    if field.kind == "integer":
        return forms.IntegerField(label=field.label, required=field.required, min_value=1, help_text=help_text)
    if field.kind == "url":
        return forms.URLField(label=field.label, required=field.required, help_text=help_text, assume_scheme="https")
    if field.kind == "choice":
        return forms.ChoiceField(
            label=field.label, required=field.required, choices=[("", "—"), *field.choices], help_text=help_text
        )
    if field.kind == "textarea":
        return forms.CharField(
            label=field.label, required=field.required, help_text=help_text, widget=forms.Textarea(attrs={"rows": 4})
        )
    return forms.CharField(label=field.label, required=field.required, help_text=help_text, max_length=254)


class ChannelForm(forms.Form):
    """Connect (``channel`` empty) or edit a channel of ``provider``. Secrets are write-only."""

    name = forms.CharField(label=_("Name"), max_length=120)
    sender = forms.CharField(label=_("Sender"), max_length=254)
    identification_name = forms.CharField(
        label=_("Identification name"), max_length=80, required=False, help_text=_("Your name on promotional messages.")
    )
    identification_contact = forms.CharField(
        label=_("Identification contact"),
        max_length=80,
        required=False,
        help_text=_("A phone number or address where recipients reach you."),
    )
    append_identification = forms.BooleanField(
        label=_("Append the identification to promotional messages"), required=False, initial=True
    )
    rate_per_second = forms.DecimalField(
        label=_("Sending rate (messages per second)"), min_value=0.01, max_digits=8, decimal_places=2, initial=10
    )
    segment_price = forms.DecimalField(
        label=_("Price per segment"), min_value=0, max_digits=10, decimal_places=4, initial=0
    )
    expected_daily_segments = forms.IntegerField(
        label=_("Expected segments per day"),
        required=False,
        min_value=1,
        help_text=_("Empty: what your plan expects. Above it the operator is alerted."),
    )
    throttle_over_expected = forms.BooleanField(label=_("Slow down above the expected volume"), required=False)
    throttled_rate_per_second = forms.DecimalField(
        label=_("Slowed-down rate (messages per second)"), min_value=0.01, max_digits=8, decimal_places=2, initial=1
    )

    def __init__(self, *args: Any, provider: str, channel: Channel | None = None, **kwargs: Any) -> None:
        self.provider = provider
        self.description = description_for(provider)
        self.editing = channel is not None
        if channel is not None:
            initial = {
                name: getattr(channel, name) for name in (*COMMON_FIELDS, *IDENTIFICATION_FIELDS, *POLICY_FIELDS)
            }
            for field in self.description.fields:
                if field.is_secret:
                    continue
                if field.target in ("account_id", "api_base_url"):
                    initial[field.name] = getattr(channel, field.target)
                else:
                    initial[field.name] = channel.settings.get(field.name, field.default)
            kwargs.setdefault("initial", initial)
        else:
            kwargs.setdefault(
                "initial", {field.name: field.default for field in self.description.fields if field.default}
            )
        super().__init__(*args, **kwargs)
        sender: Any = self.fields["sender"]
        sender.help_text = self.description.sender_help
        for field in self.description.fields:
            self.fields[field.name] = _provider_form_field(field, editing=self.editing)
        for name in self.description.hides:
            self.fields.pop(name, None)

    def group(self, names: tuple[str, ...]) -> list[forms.BoundField]:
        return [self[name] for name in names if name in self.fields]

    @property
    def groups(self) -> list[tuple[Any, list[forms.BoundField]]]:
        """The fields in the order the page shows them: the channel, the provider's connection, identification,
        sending policy."""
        groups = [
            (_("Channel"), self.group(COMMON_FIELDS)),
            (_("Connection"), self.group(tuple(field.name for field in self.description.fields))),
            (_("Sender identification (promotional messages)"), self.group(IDENTIFICATION_FIELDS)),
            (_("Sending policy"), self.group(POLICY_FIELDS)),
        ]
        return [(legend, fields) for legend, fields in groups if fields]

    @property
    def secret_names(self) -> set[str]:
        return {field.name for field in self.description.fields if field.target == CREDENTIALS}

    def add_service_errors(self, error: DomainError | ValidationError) -> None:
        """Show a service's field errors beside the fields they name; the rest above the form."""
        if isinstance(error, ValidationError):
            fields: dict[str, list[str]] = error.message_dict if hasattr(error, "error_dict") else {}
            messages = [] if fields else list(error.messages)
        elif isinstance(error, ValidationFailedError) and error.fields:
            fields, messages = error.fields, []
        else:
            fields, messages = {}, [error.message]
        for name, errors in fields.items():
            name = name.removeprefix("settings.").removeprefix("credentials.")  # the service's place, our field
            for message in errors:
                self.add_error(name if name in self.fields else None, message)
        for message in messages:
            self.add_error(None, message)


class CannedReplyForm(forms.Form):
    shortcut = forms.CharField(
        label=_("Shortcut"), max_length=40, help_text=_("Letters, digits, hyphens; agents type /shortcut.")
    )
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 4}))


EVENT_LABELS = {
    "message.created": _("A message is received or sent (message.created)"),
    "conversation.updated": _("A conversation changes (conversation.updated)"),
    "delivery.updated": _("A delivery status changes (delivery.updated)"),
}


class WebhookForm(forms.Form):
    url = forms.URLField(label=_("Address"), assume_scheme="https", help_text=_("Your system's https address."))
    events = forms.MultipleChoiceField(
        label=_("Events"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(event, EVENT_LABELS[event]) for event in EVENTS],
        help_text=_("None chosen: every event."),
    )


class ContactForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    labels = forms.CharField(label=_("Labels"), required=False, help_text=_("Separated by commas."))


class ContactListAddForm(forms.Form):
    contact_list = forms.ChoiceField(label=_("List"))
