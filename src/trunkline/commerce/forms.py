"""Forms shared by the reseller's and the back office's order pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy


class OrderSignForm(forms.Form):
    """Sign a Purchase Order: by click (no file), or with the order signed on paper (RT-3.4)."""

    signer_name = forms.CharField(
        label=gettext_lazy("Signed by (name and role)"),
        max_length=300,
        help_text=gettext_lazy("For example: Ivan Petrov, managing director."),
    )
    document = forms.FileField(
        label=gettext_lazy("Signed PDF"),
        required=False,
        help_text=gettext_lazy(
            "Leave empty to sign here with a click (your address and browser are kept as evidence), or upload the "
            "order signed on paper (PDF, at most 10 MB)."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
    )
