"""Create the benchmark's data through the project's own factories and services, then print the credentials as JSON.

Run by ``bench/run`` against a fresh, migrated database (never the developer's): one customer organisation, one
administrator in it, an API key of that organisation and a signed-in session of that administrator.
"""

from __future__ import annotations

import json
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trunkline.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402

from trunkline.testing.factories import api_key_for, member  # noqa: E402

membership = member(kind="customer", role="admin", email="bench@example.test")
api_key = api_key_for(membership, scopes=["organization:read", "members:read"])

client = Client()
client.force_login(membership.user)  # a real session row, as a browser sign-in would leave
session = client.cookies[settings.SESSION_COOKIE_NAME].value

print(
    json.dumps(
        {
            "organization": str(membership.organization.public_id),
            "api_key": api_key,
            "session_cookie": f"{settings.SESSION_COOKIE_NAME}={session}",
        }
    )
)
