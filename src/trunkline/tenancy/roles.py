"""Roles are named bundles of scopes. A membership has one role; an API key has a subset of its creator's scopes.

Scopes are ``<area>:<verb>``. Each later app adds the scopes it checks here, next to the roles that grant them.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

SCOPES: dict[str, Any] = {
    "organization:read": _("See the organisation's profile."),
    "organization:manage": _("Change the organisation's profile."),
    "members:read": _("See the organisation's members."),
    "members:manage": _("Add, change and remove members."),
    "api_keys:manage": _("Create and revoke API keys."),
    "audit:read": _("Read the organisation's audit trail."),
    "billing:read": _("See orders, invoices and payments."),
    "billing:manage": _("Place orders and manage billing details."),
    "licensing:read": _("See pools, end users and licenses."),
    "licensing:assign": _("Create end users and assign licenses."),
    "inbox:read": _("Read conversations."),
    "inbox:reply": _("Reply to conversations."),
    "campaigns:send": _("Create and send campaigns."),
    "channels:manage": _("Configure channels."),
    "telephony:manage": _("Configure the PBX."),
    "support:open": _("Open and follow support tickets."),
    "support:handle": _("Work the support desk: answer, assign and resolve tickets; schedule maintenance."),
    "ops:read": _("Operator back office: read everything."),
    "ops:manage": _("Operator back office: change everything."),
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
        "admin": {"label": _("Operator administrator"), "scopes": ADMIN | {"ops:read", "ops:manage", "support:handle"}},
        "staff": {
            "label": _("Operator staff"),
            "scopes": BASE | {"audit:read", "ops:read", "ops:manage", "support:handle"},
        },
        "support": {"label": _("Support engineer"), "scopes": BASE | {"ops:read", "support:handle"}},
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


# What a suspended organisation keeps (PT-6.3): seeing its own data, why it is suspended, and paying.
SCOPES_WHILE_SUSPENDED = frozenset(
    {
        "organization:read",
        "members:read",
        "audit:read",
        "billing:read",
        "billing:manage",
        "support:open",
    }
)


def scopes_for_status(status: str, scopes: frozenset[str]) -> tuple[frozenset[str], frozenset[str]]:
    """(usable scopes, withheld scopes) of a role or key in an organisation of ``status``."""
    if status == "suspended":
        return scopes & SCOPES_WHILE_SUSPENDED, scopes - SCOPES_WHILE_SUSPENDED
    if status == "terminated":
        return frozenset(), scopes
    return scopes, frozenset()


def role_label(kind: str, role: str) -> str:
    role_spec = ROLES.get(kind, {}).get(role)
    return str(role_spec["label"]) if role_spec else role


def scopes_of(kind: str, role: str) -> frozenset[str]:
    return frozenset(ROLES[kind][role]["scopes"])


ALL_ROLE_NAMES = sorted({name for roles in ROLES.values() for name in roles})
