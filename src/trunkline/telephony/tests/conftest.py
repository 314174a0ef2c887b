from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _telephony_dir(settings, tmp_path):
    """Each test publishes its routing snapshot and reads its spool in its own directory."""
    settings.TELEPHONY_DIR = str(tmp_path / "telephony")
