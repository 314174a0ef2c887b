"""A simple CSV statement layout, for banks (and spreadsheets) that cannot export CAMT.053.

Layout
------
One header row, then one row per booked movement. Column names are matched case-insensitively, ignoring spaces,
``_`` and ``-`` (so ``Booking date``, ``booking_date`` and ``BOOKING-DATE`` are one name); columns may come in any
order and unknown columns are ignored.

=================  ======================================================  ==========================================
field              English names                                           Bulgarian names
=================  ======================================================  ==========================================
date (required)    date, booking date                                      дата, дата на осчетоводяване, счетоводна дата
amount (required)  amount                                                  сума
currency (req.)    currency                                                валута
reference (req.)   reference, description, payment details                 основание, основание за плащане, описание
counterparty (r.)  counterparty, counterparty name, payer                  наредител, контрагент, платец
value_date         value date                                              вальор, дата на вальор
counterparty_iban  counterparty iban, payer iban                           iban на наредителя, сметка на наредителя
bank_reference     bank reference, transaction id                          референция, референция на банката
account_iban       account iban, our account, our iban                     наша сметка
=================  ======================================================  ==========================================

* Encoding: UTF-8 (with or without a byte-order mark); anything that is not valid UTF-8 is read as Windows-1251,
  which Bulgarian banks and Excel still produce.
* Delimiter: ``;`` or ``,``, whichever occurs more often in the header row (headers never contain either).
* Amounts are signed: positive is money received, negative (``-12,50``) money paid out. Both the decimal comma and
  the decimal point are accepted, per value:

  - spaces (also no-break spaces) are thousands separators: ``1 234,50``;
  - when both ``.`` and ``,`` occur, the last one is the decimal separator: ``1.234,50`` and ``1,234.50`` are both
    1234.50;
  - a single separator followed by one or two digits is the decimal separator: ``12,5`` and ``12.50``;
  - a separator followed by exactly three digits, alone (``1,234`` or ``1.234``), could be 1234 or 1.234 and is
    refused as ambiguous rather than guessed — bank exports always print the cents, so this only happens in
    hand-edited files; thousands separators must make groups of three, and more than two decimals are refused.

* Dates: ``YYYY-MM-DD`` or ``DD.MM.YYYY``.
* Currency: an ISO code (``EUR``, ``BGN``); ``лв``/``лв.`` is read as BGN and ``евро`` as EUR.
* A bare ``IBAN`` or ``account`` column is deliberately not taken for either IBAN: exports use it for our account
  as often as for the payer's, and guessing wrong would misfile the payer. Rename the column to say whose it is.
* Empty rows are skipped. Row numbers in errors count the header as row 1, as a spreadsheet shows them.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from trunkline.billing.domain.entries import (
    StatementEntry,
    StatementFormatError,
    collapse_spaces,
    normalize_iban,
    number_occurrences,
)

COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "date": ("date", "booking date", "дата", "дата на осчетоводяване", "счетоводна дата"),
    "amount": ("amount", "сума"),
    "currency": ("currency", "валута"),
    "reference": ("reference", "description", "payment details", "основание", "основание за плащане", "описание"),
    "counterparty": ("counterparty", "counterparty name", "payer", "наредител", "контрагент", "платец"),
    "value_date": ("value date", "вальор", "дата на вальор"),
    "counterparty_iban": ("counterparty iban", "payer iban", "iban на наредителя", "сметка на наредителя"),
    "bank_reference": ("bank reference", "transaction id", "референция", "референция на банката"),
    "account_iban": ("account iban", "our account", "our iban", "наша сметка"),
}
REQUIRED_COLUMNS = ("date", "amount", "currency", "reference", "counterparty")
CURRENCY_ALIASES = {"ЛВ": "BGN", "ЛВ.": "BGN", "ЕВРО": "EUR"}
SPACES = re.compile(r"[\s\u00a0\u202f]+")
GROUPED_INTEGER = re.compile(r"\d+|\d{1,3}(?:,\d{3})+|\d{1,3}(?:\.\d{3})+")


def parse_csv_statement(data: bytes, *, account_iban: str = "") -> list[StatementEntry]:
    """The rows of a CSV statement as entries, in file order. ``account_iban`` names our account when the file has
    no account column (it is part of every dedupe key)."""
    text = _decode(data)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text)))
    except csv.Error as error:
        raise StatementFormatError(f"This file cannot be read as CSV ({error}).") from error
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise StatementFormatError("This CSV file is empty; it needs a header row and one row per payment.")
    columns = _columns(rows[0])
    entries = []
    for row_number, row in enumerate(rows[1:], start=2):
        entries.append(_entry(row, row_number, columns, default_account_iban=normalize_iban(account_iban)))
    return number_occurrences(entries)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1251", errors="replace")


def _delimiter(text: str) -> str:
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") >= header.count(",") else ","


def _normalize_header(name: str) -> str:
    return " ".join(re.sub(r"[_\-]", " ", name).split()).casefold()


def _columns(header: Sequence[str]) -> dict[str, int]:
    by_alias = {alias: field for field, aliases in COLUMN_ALIASES.items() for alias in aliases}
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        field = by_alias.get(_normalize_header(name))
        if field is None:
            continue
        if field in columns:
            raise StatementFormatError(f"Row 1: two columns mean {field!r} ({header[columns[field]]!r} and {name!r}).")
        columns[field] = index
    missing = [field for field in REQUIRED_COLUMNS if field not in columns]
    if missing:
        raise StatementFormatError(
            f"Row 1: the header has no column for {', '.join(missing)}. "
            f"Expected columns such as: {', '.join(COLUMN_ALIASES[field][0] for field in REQUIRED_COLUMNS)}.",
            row=1,
        )
    return columns


def _entry(
    row: Sequence[str], row_number: int, columns: dict[str, int], *, default_account_iban: str
) -> StatementEntry:
    def cell(field: str) -> str:
        index = columns.get(field)
        return row[index].strip() if index is not None and index < len(row) else ""

    def fail(problem: str) -> StatementFormatError:
        return StatementFormatError(f"Row {row_number}: {problem}", row=row_number)

    booking_date = parse_date(cell("date"))
    if booking_date is None:
        raise fail(f"the date {cell('date')!r} is not YYYY-MM-DD or DD.MM.YYYY.")
    value_date = parse_date(cell("value_date")) if cell("value_date") else None
    if cell("value_date") and value_date is None:
        raise fail(f"the value date {cell('value_date')!r} is not YYYY-MM-DD or DD.MM.YYYY.")
    if not cell("amount"):
        raise fail("the amount is empty.")
    try:
        amount = parse_amount(cell("amount"))
    except ValueError as error:
        raise fail(str(error)) from None
    currency = CURRENCY_ALIASES.get(cell("currency").upper(), cell("currency").upper())
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise fail(f"the currency {cell('currency')!r} is not a three-letter code such as EUR or BGN.")
    return StatementEntry(
        booking_date=booking_date,
        value_date=value_date,
        amount=amount,
        currency=currency,
        reference=collapse_spaces(cell("reference")),
        counterparty_name=collapse_spaces(cell("counterparty")),
        counterparty_iban=normalize_iban(cell("counterparty_iban")),
        bank_reference=cell("bank_reference"),
        account_iban=normalize_iban(cell("account_iban")) or default_account_iban,
    )


def parse_date(text: str) -> date | None:
    """``YYYY-MM-DD`` or ``DD.MM.YYYY``; None for anything else, including impossible dates like 31.02.2026."""
    text = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
        if match := re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", text):
            day, month, year = (int(part) for part in match.groups())
            return date(year, month, day)
    except ValueError:
        return None
    return None


def parse_amount(text: str) -> Decimal:
    """A signed amount written with a decimal comma or point (rules in the module docstring), exact to the cent.
    ValueError with a sentence saying what is wrong otherwise. Never goes through float."""
    compact = SPACES.sub("", text)
    sign = "-" if compact.startswith("-") else ""
    compact = compact.removeprefix("-") if sign else compact.removeprefix("+")
    if not re.fullmatch(r"[\d.,]+", compact) or not compact[0].isdigit():
        raise ValueError(f"the amount {text!r} is not a number.")
    integer, fraction = compact, ""
    last = max(compact.rfind(","), compact.rfind("."))
    if last >= 0:
        mark, tail = compact[last], compact[last + 1 :]
        if ("," in compact and "." in compact) or (compact.count(mark) == 1 and len(tail) in (1, 2)):
            integer, fraction = compact[:last], tail
        elif compact.count(mark) == 1 and len(tail) == 3:
            whole = compact.replace(mark, "")
            raise ValueError(
                f"the amount {text!r} is ambiguous ({whole} or {compact[:last]}.{tail}?): "
                f"write it with the cents, e.g. '{whole},00'."
            )
        elif compact.count(mark) == 1:
            raise ValueError(f"the amount {text!r} has more than two decimals or is not a number.")
    if not GROUPED_INTEGER.fullmatch(integer) or (fraction and not re.fullmatch(r"\d{1,2}", fraction)):
        raise ValueError(f"the amount {text!r} is not a number.")
    return Decimal(f"{sign}{re.sub(r'[.,]', '', integer)}.{fraction:0<2}")
