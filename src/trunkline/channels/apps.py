from django.apps import AppConfig


class MessagingChannelsConfig(AppConfig):
    """Provider connections and adapters. The label is not ``channels``: that is Django Channels' own app label."""

    name = "trunkline.channels"
    label = "messaging_channels"
    verbose_name = "Messaging channels"
