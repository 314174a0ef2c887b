"""Events of the channels context that other contexts act on."""

from django.dispatch import Signal

# Sent with ``channel_id`` after an inbound event was kept outside the inbox's own store paths (a deliver_sm that an
# SMSC sends on a sending bind): the inbox requests its processing, as for a webhook, instead of leaving it to the
# minute sweep.
inbound_event_kept = Signal()
