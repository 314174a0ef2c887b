"""Bank statements in, ``StatementEntry`` lines out: the one entry point the payment import service calls.

``parse_statement`` tells CAMT.053 XML from CSV by content, not by file name (banks name files ``export.txt`` and
staff rename them), and falls back to the name only to pick the error message. The formats themselves are in
``camt053`` and ``csv_statement``; the entry type and how dedupe keys are made are in ``entries`` (read its
docstring before changing anything that feeds ``dedupe_key``: stored keys must keep matching re-imports).
"""

from __future__ import annotations

from trunkline.billing.domain.camt053 import parse_camt053
from trunkline.billing.domain.csv_statement import parse_csv_statement
from trunkline.billing.domain.entries import StatementEntry, StatementFormatError

__all__ = ["StatementEntry", "StatementFormatError", "parse_camt053", "parse_csv_statement", "parse_statement"]

_BYTE_ORDER_MARKS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
# What staff upload by mistake: the bank's PDF statement or an Excel export. Named, they are easy to fix.
_NOT_STATEMENTS = (
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a spreadsheet or ZIP archive (for example .xlsx)"),
    (b"\xd0\xcf\x11\xe0", "an old Excel workbook (.xls)"),
)


def parse_statement(data: bytes, filename: str = "", *, account_iban: str = "") -> list[StatementEntry]:
    """The entries of a CAMT.053 or CSV statement. ``account_iban`` is used only for a CSV without an account
    column; a CAMT file names its account itself."""
    if not data.strip():
        raise StatementFormatError("The file is empty.")
    for magic, kind in _NOT_STATEMENTS:
        if data.startswith(magic):
            raise StatementFormatError(f"This file is {kind}; export the statement as CAMT.053 XML or as CSV.")
    if looks_like_xml(data):
        return parse_camt053(data)
    if filename.lower().endswith(".xml"):
        raise StatementFormatError("This file is named .xml but does not contain XML; export the CAMT.053 statement.")
    return parse_csv_statement(data, account_iban=account_iban)


def looks_like_xml(data: bytes) -> bool:
    """XML starts with ``<`` once a byte-order mark and leading whitespace are skipped; a CSV never does, since its
    first row is a header of column names."""
    head = data[:64]
    for mark in _BYTE_ORDER_MARKS:
        head = head.removeprefix(mark)
    return head.lstrip().startswith(b"<")
