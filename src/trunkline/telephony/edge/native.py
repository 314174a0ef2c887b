"""The routing snapshot as Kamailio ``htable`` rows, for the native-configuration edge the benchmark compares the
Python KEMI edge with (standard library only)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

TABLES = ("peers", "anum", "unum")


def htable_rows(snapshot: dict) -> list[tuple[str, str, str]]:
    """(table, key, value): peers ip -> "carrier" | "customer:<org>"; anum "<org>:<pattern>" -> "1";
    unum digits -> "<org>|<user number>|<uri>~<ring ms>~<number>#..."."""
    rows: list[tuple[str, str, str]] = []
    for address, peer in snapshot.get("peers", {}).items():
        if peer.get("kind") == "carrier":
            rows.append(("peers", address, "carrier"))
        else:
            rows.append(("peers", address, "customer:" + peer.get("org", "")))
            rows += [("anum", f"{peer.get('org', '')}:{pattern}", "1") for pattern in peer.get("calling_numbers", [])]
    for digits, entry in snapshot.get("user_numbers", {}).items():
        targets = "#".join(f"{t['uri']}~{t['ring_ms']}~{t['number']}" for t in entry.get("targets", []) if t.get("uri"))
        rows.append(("unum", digits, f"{entry.get('org', '')}|{entry.get('user_number', '')}|{targets}"))
    return rows


def export_htables(snapshot_path: Path, database: Path) -> int:
    snapshot = json.loads(Path(snapshot_path).read_text())
    connection = sqlite3.connect(database)
    connection.execute("PRAGMA journal_mode=WAL")  # persistent: Kamailio's workers then write without locking readers
    connection.execute(
        "CREATE TABLE IF NOT EXISTS version(table_name VARCHAR(32) NOT NULL, table_version INTEGER DEFAULT 0 NOT NULL)"
    )
    for table in TABLES:
        connection.execute(f"DROP TABLE IF EXISTS ht_{table}")
        connection.execute(
            f"CREATE TABLE ht_{table}(id INTEGER PRIMARY KEY NOT NULL, key_name VARCHAR(64) DEFAULT '' NOT NULL,"
            " key_type INTEGER DEFAULT 0 NOT NULL, value_type INTEGER DEFAULT 0 NOT NULL,"
            " key_value VARCHAR(2048) DEFAULT '' NOT NULL, expires INTEGER DEFAULT 0 NOT NULL)"
        )
        connection.execute("DELETE FROM version WHERE table_name = ?", (f"ht_{table}",))
        connection.execute("INSERT INTO version VALUES (?, 2)", (f"ht_{table}",))
    rows = htable_rows(snapshot)
    for table, key, value in rows:
        connection.execute(
            f"INSERT INTO ht_{table}(key_name, key_type, value_type, key_value) VALUES (?, 0, 0, ?)",  # noqa: S608
            (key, value),
        )
    connection.execute("DROP TABLE IF EXISTS events")
    connection.execute("CREATE TABLE events(call_id TEXT, event TEXT, at REAL, detail TEXT)")
    connection.commit()
    connection.close()
    return len(rows)
