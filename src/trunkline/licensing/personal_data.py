"""The licensing context's entries in the personal-data catalog (RT-7.1.2): every field that holds personal data of
an end user, with its purpose. The privacy context's export, erasure and purge jobs (RT-7.16) read this catalog."""

from __future__ import annotations

PERSONAL_DATA: dict[str, dict[str, str]] = {
    "licensing.EndUser": {
        "name": "Identifies the end user the reseller provides licenses to.",
        "email": "Receives the license key.",
        "phone": "Contact for the reseller.",
        "address": "Contact for the reseller.",
    },
    "licensing.EndUserImport": {
        "data": "The uploaded CSV file (names, emails, phones, addresses) the import task creates end users from.",
    },
    "licensing.Activation": {
        "fingerprint_hash": "Device identifier (a hash of the HDD serial, hashed again) binding a license to a device.",
        "device_name": "Lets the end user and the reseller recognise the device.",
        "ip": "Where the activation came from (abuse and rate limits).",
    },
}
