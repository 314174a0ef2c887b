"""Which country an IP address is in, from a local database: never a network call (PT-8.3).

By default the data shipped inside the ``iptocc`` package (the Regional Internet Registries' allocations, refreshed
with each release). An operator may point ``IP_COUNTRY_DATABASE`` at a CSV file of ranges instead, one
``first_address,last_address,country_code`` a line (the layout of DB-IP's free "IP to Country Lite" CSV); the tests use
a tiny file of that kind.
"""

from __future__ import annotations

import bisect
import csv
import ipaddress
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import iptocc
from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_address(ip: str | None) -> IPAddress | None:
    """The address, IPv4-mapped IPv6 unwrapped to IPv4; None for anything that is not an address."""
    try:
        address = ipaddress.ip_address((ip or "").strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_local(address: IPAddress) -> bool:
    """Loopback, private, link-local and other non-routable addresses: the machine itself or the local network."""
    return address.is_loopback or address.is_private or address.is_link_local or address.is_unspecified


@dataclass(frozen=True)
class RangeTable:
    """Sorted, non-overlapping address ranges of one IP version and their country codes."""

    starts: list[int]
    ends: list[int]
    countries: list[str]

    def find(self, value: int) -> str | None:
        index = bisect.bisect_right(self.starts, value) - 1
        if index >= 0 and value <= self.ends[index]:
            return self.countries[index]
        return None


@cache
def _load(path: str) -> dict[int, RangeTable]:
    rows: dict[int, list[tuple[int, int, str]]] = {4: [], 6: []}
    with Path(path).open(newline="", encoding="utf-8") as handle:
        for line in csv.reader(handle):
            if not line or line[0].lstrip().startswith("#") or len(line) < 3:
                continue
            first, last = ipaddress.ip_address(line[0].strip()), ipaddress.ip_address(line[1].strip())
            country = line[2].strip().upper()
            if first.version != last.version or not country or country == "ZZ":
                continue
            rows[first.version].append((int(first), int(last), country))
    tables = {}
    for version, ranges in rows.items():
        ranges.sort()
        tables[version] = RangeTable(
            starts=[start for start, _, _ in ranges],
            ends=[end for _, end, _ in ranges],
            countries=[country for _, _, country in ranges],
        )
    return tables


def database_path() -> str:
    return str(getattr(settings, "IP_COUNTRY_DATABASE", "") or "")


def country_of(address: IPAddress) -> str | None:
    """The ISO 3166-1 alpha-2 code of the country the address is registered in, or None if the data does not say."""
    path = database_path()
    if path:
        return _load(path)[address.version].find(int(address))
    code = iptocc.country_code(str(address))
    return code.upper() if code else None
