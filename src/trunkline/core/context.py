"""Who is acting, for which organisation, with which scopes: passed to every service as ``ctx``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from trunkline.core.errors import MissingScopeError, OrganizationRestrictedError

if TYPE_CHECKING:
    from trunkline.accounts.models import User
    from trunkline.tenancy.models import Organization


@dataclass(frozen=True)
class RequestContext:
    organization: Organization
    scopes: frozenset[str]
    user: User | None = None
    api_key_id: int | None = None
    ip: str | None = None
    user_agent: str = ""
    request_id: str = ""
    withheld_scopes: frozenset[str] = frozenset()  # held by the role, withheld while the organisation is suspended
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def is_operator(self) -> bool:
        """Acting for the operator organisation (staff of the vendor)."""
        return self.organization.kind == "operator"

    @property
    def actor_label(self) -> str:
        if self.user is not None:
            return self.user.email
        if self.api_key_id is not None:
            return f"api-key:{self.api_key_id}"
        return "system"

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


def require_scope(ctx: RequestContext, scope: str) -> None:
    if ctx.has_scope(scope):
        return
    if scope in ctx.withheld_scopes:
        raise OrganizationRestrictedError(
            reason=ctx.organization.status_reason or ctx.organization.get_status_display()
        )
    raise MissingScopeError(scope=scope)
