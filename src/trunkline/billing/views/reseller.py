"""Pages of the reseller surface for billing."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
