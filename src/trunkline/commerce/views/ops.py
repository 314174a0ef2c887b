"""Pages of the ops surface for commerce."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
