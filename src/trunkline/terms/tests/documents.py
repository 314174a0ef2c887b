"""The documents of the data migrations, made again for tests that run after a transactional test flushed them."""

from __future__ import annotations

import importlib

from django.apps import apps

_seed = importlib.import_module("trunkline.terms.migrations.0002_legal_documents")
_titles = importlib.import_module("trunkline.terms.migrations.0003_document_title_bg")


def ensure_documents() -> None:
    """The four documents with version 1 in Bulgarian and English, as the migrations leave them."""
    _seed.create_documents(apps, None)
    _titles.add_titles(apps, None)
