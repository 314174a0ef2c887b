from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from trunkline.terms.models import Audience, DocumentKind, Language, LegalDocument


class PublishForm(forms.Form):
    """A new version of a document, or the text of an existing version in another language."""

    document = forms.ModelChoiceField(
        label=_("Document"), queryset=LegalDocument.objects.all(), to_field_name="public_id", empty_label=None
    )
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    number = forms.IntegerField(
        label=_("Translation of version"),
        required=False,
        min_value=1,
        help_text=_("Leave empty to publish a new version. Give a number to add this language to that version."),
    )
    effective_at = forms.DateTimeField(
        label=_("Effective from"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("In the time zone of the operator. Not needed for a translation."),
    )
    text = forms.CharField(
        label=_("Text (Markdown)"),
        strip=False,
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "true"}),
        help_text=_("Stored and hashed exactly as written; line breaks are saved as LF."),
    )

    def clean_text(self) -> str:
        # Browsers send CRLF; keep one form so that the same text always has the same hash.
        return str(self.cleaned_data["text"]).replace("\r\n", "\n").replace("\r", "\n")


class DocumentCreateForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    title_bg = forms.CharField(label=_("Title in Bulgarian"), max_length=200, required=False)
    slug = forms.CharField(
        label=_("Address"),
        max_length=60,
        help_text=_("Lower-case letters, digits and hyphens: the page will be at /terms/ followed by this address."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=DocumentKind.choices, initial=DocumentKind.OTHER)
    audience = forms.ChoiceField(label=_("Audience"), choices=Audience.choices)


class ObjectionForm(forms.Form):
    note = forms.CharField(
        label=_("Your reasons"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Optional. The operator will contact you about your objection."),
    )
