from django.apps import AppConfig


class LicensingConfig(AppConfig):
    name = "trunkline.licensing"
    label = "licensing"

    def ready(self) -> None:
        from trunkline.billing.selectors import penalty_multiplier_sources
        from trunkline.licensing import receivers  # noqa: F401  (connects to other contexts' events)
        from trunkline.licensing.services.pools import penalty_multiplier

        if penalty_multiplier not in penalty_multiplier_sources:  # RT-6.4: billing asks licensing's policy
            penalty_multiplier_sources.append(penalty_multiplier)
