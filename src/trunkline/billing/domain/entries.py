"""One line of a bank statement, whatever file it came from, and the key that makes re-imports harmless.

Dedupe keys
-----------
Staff import statements by hand, so the same bank line arrives more than once: the same file twice, or two
statements whose periods overlap. ``StatementEntry.dedupe_key`` is a SHA-256 hex digest that is the same every time
the same bank line is parsed, so the caller stores it under a unique constraint and records each line once.

* When the bank gives its own reference for the line (``bank_reference``: CAMT ``AcctSvcrRef``, ``NtryRef`` or
  ``EndToEndId``; a CSV column), the key covers our account, that reference, the booking date, the amount and the
  currency. The reference alone is not trusted: some banks number ``NtryRef`` from 1 in every statement, and
  ``EndToEndId`` is chosen by the payer, so two different payments could share it. A real bank line never changes
  its date or amount between exports, so adding them costs nothing and keeps different payments apart.
* Without a bank reference, the key covers our account, booking date, amount, currency, the remittance reference
  (whitespace collapsed), the counterparty's name and IBAN, and ``occurrence``: 1 for the first line of a file with
  exactly these values, 2 for the second, and so on. Two genuinely identical transfers on one day in one file get
  keys ending in occurrence 1 and 2, so both are kept; re-importing the file, or a later statement that covers the
  same whole days, yields the same two keys again. (A statement that covers only part of a day could number identical
  lines differently; bank statements cover whole days, and ``camt.053`` is an end-of-day statement by definition.)
* ``occurrence`` is counted over the key material in both cases, so the keys of one parsed file are always distinct.

The key starts with a version tag (``v1``): if the recipe ever changes, old and new keys cannot collide by accident.
``value_date`` is left out on purpose — some exports omit it, and it does not identify the line.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

DEDUPE_KEY_VERSION = "v1"


class StatementFormatError(ValueError):
    """The uploaded file cannot be read as a bank statement. The message is a sentence staff can act on; ``row``
    names the CSV row (the header is row 1) or the CAMT entry (counted from 1) when one is to blame."""

    code = "billing.statement_format"

    def __init__(self, message: str, *, row: int | None = None) -> None:
        self.message = message
        self.row = row
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class StatementEntry:
    """One booked movement on our account. ``amount`` is positive for money received and negative for money paid
    out; debits are kept so the caller decides to skip them, rather than the parser hiding them."""

    booking_date: date
    value_date: date | None
    amount: Decimal
    currency: str
    reference: str
    counterparty_name: str
    counterparty_iban: str
    bank_reference: str
    account_iban: str
    occurrence: int = 1  # set by ``number_occurrences``; see the module docstring

    @property
    def is_credit(self) -> bool:
        return self.amount > 0

    def _key_material(self) -> list[str]:
        common = [self.account_iban, self.booking_date.isoformat(), _amount_text(self.amount), self.currency]
        if self.bank_reference:
            return ["bank-reference", self.bank_reference, *common]
        return ["content", *common, collapse_spaces(self.reference), self.counterparty_name, self.counterparty_iban]

    @property
    def dedupe_key(self) -> str:
        material = [DEDUPE_KEY_VERSION, *self._key_material(), str(self.occurrence)]
        return hashlib.sha256(json.dumps(material, ensure_ascii=False).encode()).hexdigest()


def number_occurrences(entries: Iterable[StatementEntry]) -> list[StatementEntry]:
    """The entries in file order, each with ``occurrence`` = how many lines with the same key material came before
    it, plus one. Parsers call this last, so identical lines of one file keep distinct dedupe keys."""
    seen: Counter[str] = Counter()
    numbered = []
    for entry in entries:
        material = json.dumps(entry._key_material(), ensure_ascii=False)
        seen[material] += 1
        numbered.append(replace(entry, occurrence=seen[material]))
    return numbered


def collapse_spaces(text: str) -> str:
    """Runs of whitespace (line breaks that banks insert into long remittance texts) become one space."""
    return " ".join(text.split())


def normalize_iban(text: str) -> str:
    return "".join(text.split()).upper()


def _amount_text(amount: Decimal) -> str:
    """``100``, ``100.0`` and ``100.00`` are one amount: the key uses the value at two places (finer is kept)."""
    quantized = amount.quantize(Decimal("0.01")) if amount == amount.quantize(Decimal("0.01")) else amount
    return format(quantized, "f")
