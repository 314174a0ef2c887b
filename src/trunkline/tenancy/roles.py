"""Roles are named bundles of scopes. A membership has one role; an API key has a subset of its creator's scopes.

Scopes are ``<area>:<verb>``. Each later app adds the scopes it checks here, next to the roles that grant them.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

SCOPES: dict[str, str] = {
    "organization:read": "See the organisation's profile.",
    "organization:manage": "Change the organisation's profile.",
    "members:read": "See the organisation's members.",
    "members:manage": "Add, change and remove members.",
    "api_keys:manage": "Create and revoke API keys.",
    "audit:read": "Read the organisation's audit trail.",
    "billing:read": "See orders, invoices and payments.",
    "billing:manage": "Place orders and manage billing details.",
    "licensing:read": "See pools, end users and licenses.",
    "licensing:assign": "Create end users and assign licenses.",
    "inbox:read": "Read conversations.",
    "inbox:reply": "Reply to conversations.",
    "campaigns:send": "Create and send campaigns.",
    "channels:manage": "Configure channels.",
    "telephony:manage": "Configure the PBX.",
    "support:open": "Open and follow support tickets.",
    "ops:read": "Operator back office: read everything.",
    "ops:manage": "Operator back office: change everything.",
}

BASE = {"organization:read", "members:read", "support:open"}
ADMIN = BASE | {
    "organization:manage",
    "members:manage",
    "api_keys:manage",
    "audit:read",
    "billing:read",
    "billing:manage",
}

ROLES: dict[str, dict[str, dict]] = {
    "operator": {
        "admin": {"label": _("Operator administrator"), "scopes": ADMIN | {"ops:read", "ops:manage"}},
        "staff": {"label": _("Operator staff"), "scopes": BASE | {"audit:read", "ops:read", "ops:manage"}},
        "support": {"label": _("Support engineer"), "scopes": BASE | {"ops:read"}},
    },
    "reseller": {
        "admin": {"label": _("Reseller administrator"), "scopes": ADMIN | {"licensing:read", "licensing:assign"}},
        "staff": {"label": _("Reseller staff"), "scopes": BASE | {"licensing:read", "licensing:assign"}},
        "billing": {"label": _("Billing"), "scopes": BASE | {"billing:read", "billing:manage"}},
    },
    "customer": {
        "admin": {
            "label": _("Administrator"),
            "scopes": ADMIN | {"inbox:read", "inbox:reply", "campaigns:send", "channels:manage", "telephony:manage"},
        },
        "agent": {"label": _("Agent"), "scopes": BASE | {"inbox:read", "inbox:reply"}},
        "billing": {"label": _("Billing"), "scopes": BASE | {"billing:read", "billing:manage"}},
    },
}


def role_choices(kind: str) -> list[tuple[str, str]]:
    return [(name, str(role["label"])) for name, role in ROLES[kind].items()]


def scopes_of(kind: str, role: str) -> frozenset[str]:
    return frozenset(ROLES[kind][role]["scopes"])


ALL_ROLE_NAMES = sorted({name for roles in ROLES.values() for name in roles})
