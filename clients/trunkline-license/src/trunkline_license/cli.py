"""``trunkline-license``: activate, check, verify offline, reset and print the device fingerprint.

trunkline-license --server https://licensing.example.com --key XXXXX-... --public-key vendor.pem activate
trunkline-license --public-key vendor.pem verify            # offline only: no network is touched
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from trunkline_license.client import (
    LicenseClient,
    LicenseError,
    device_fingerprint,
    load_public_key,
    verify_certificate,
)


def _client(arguments: argparse.Namespace) -> LicenseClient:
    return LicenseClient(
        base_url=arguments.server or "http://unused.invalid",
        key=arguments.key or os.environ.get("TRUNKLINE_LICENSE_KEY", ""),
        public_key_pem=Path(arguments.public_key).read_bytes(),
        state_dir=arguments.state_dir,
        fingerprint=arguments.fingerprint,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="trunkline-license", description=__doc__.splitlines()[0])
    parser.add_argument("--server", help="Base URL of Trunkline, e.g. https://licensing.example.com")
    parser.add_argument("--key", help="The license key (or TRUNKLINE_LICENSE_KEY)")
    parser.add_argument("--public-key", default="vendor-public-key.pem", help="The vendor's Ed25519 public key (PEM)")
    parser.add_argument("--state-dir", default=str(Path.home() / ".trunkline-license"))
    parser.add_argument("--fingerprint", help="Override the device fingerprint (tests)")
    commands = parser.add_subparsers(dest="command", required=True)
    activate = commands.add_parser("activate", help="Bind the license to this device and store the certificate")
    activate.add_argument("--device-name", default="")
    commands.add_parser("check", help="Validate online, with the offline grace period")
    verify = commands.add_parser("verify", help="Verify the stored (or given) certificate offline")
    verify.add_argument("certificate", nargs="?", help="A certificate file instead of the stored one")
    commands.add_parser("reset", help="Free this device (once per ISO week)")
    commands.add_parser("fingerprint", help="Print this device's fingerprint")
    arguments = parser.parse_args(argv)
    try:
        if arguments.command == "fingerprint":
            print(arguments.fingerprint or device_fingerprint())
            return 0
        if arguments.command == "verify" and arguments.certificate:
            public_key = load_public_key(Path(arguments.public_key).read_bytes())
            certificate = verify_certificate(Path(arguments.certificate).read_text(), public_key)
        else:
            client = _client(arguments)
            if arguments.command == "activate":
                certificate = client.activate(device_name=arguments.device_name)
            elif arguments.command == "check":
                certificate = client.check()
            elif arguments.command == "verify":
                certificate = client.verify_offline()
            else:
                print(json.dumps(client.reset(), default=str))
                return 0
    except LicenseError as error:
        print(json.dumps({"ok": False, "code": error.code, "message": error.message}), file=sys.stderr)
        return 2
    print(
        json.dumps(
            {
                "ok": True,
                "license_id": certificate.license_id,
                "type": certificate.type,
                "product": certificate.product,
                "expires_at": certificate.expires_at.isoformat(),
                "entitlements": certificate.entitlements,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
