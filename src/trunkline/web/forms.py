from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from trunkline.tenancy.roles import SCOPES, role_choices


class MemberAddForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args, kind: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = role_choices(kind)  # type: ignore[attr-defined]


class ApiKeyCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    scopes = forms.MultipleChoiceField(label=_("Scopes"), widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, held_scopes: frozenset[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = [(scope, f"{scope} — {SCOPES[scope]}") for scope in sorted(held_scopes) if scope in SCOPES]
        self.fields["scopes"].choices = choices  # type: ignore[attr-defined]
