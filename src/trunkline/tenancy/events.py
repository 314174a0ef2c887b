"""Events of the tenancy context. Other contexts listen (e.g. notifications sends a notice); tenancy imports none of
them. Sent inside the service's transaction; receivers that have side effects defer them with on_commit."""

from django.dispatch import Signal

# kwargs: organization, previous_status, status, reason, ctx
organization_status_changed = Signal()
