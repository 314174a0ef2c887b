"""Print the vendor's Ed25519 public key (PEM) and its id, to pin in the softphone."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from trunkline.licensing import signing


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"# key id {signing.public_key_id()}\n{signing.public_key_pem()}")
