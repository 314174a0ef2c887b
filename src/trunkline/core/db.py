"""Hot statements on a prepared, server-bound cursor.

Django binds parameters on the client and never prepares (its psycopg cursors send each statement as text with the
values inlined), so PostgreSQL parses and plans every call anew. For the few statements the hot endpoints run
thousands of times a second — the activation API's license read and insert, a webhook's channel read and stored
event — that was most of PostgreSQL's CPU per request (perf: parsing and planning two thirds of it per activation),
and binding in the driver cost Python time too. ``prepared_rows`` runs them on a server-side binding cursor, which
psycopg prepares once it has run a statement a few times on a connection (``prepare_threshold``, set in settings;
the ORM's client-side cursors never prepare). The cursor is still wrapped by Django: its error translation, execute
wrappers and query log apply. On SQLite it is the usual cursor."""

from __future__ import annotations

from typing import Any

import psycopg
from django.db import DEFAULT_DB_ALIAS, connections


def prepared_rows(
    sql: str, params: list[Any], *, rows: bool = True, using: str = DEFAULT_DB_ALIAS
) -> list[tuple[Any, ...]]:
    """Run one statement (``%s`` placeholders) and fetch its rows; ``rows=False`` for a statement that returns none."""
    db = connections[using]
    if db.vendor == "postgresql":
        db.ensure_connection()
        cursor = db._prepare_cursor(psycopg.Cursor(db.connection))  # type: ignore[attr-defined]  # Django's wrapping
    else:
        cursor = db.cursor()
    with cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if rows else []
