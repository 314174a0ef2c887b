"""ISO 20022 ``camt.053`` (Bank-to-Customer Statement), the end-of-day statement European banks export as XML.

Versions ``camt.053.001.02`` to ``.08`` are what Bulgarian and other EU banks send; they differ in the namespace and
in a few paths (``Sts`` became ``Sts/Cd``, the debtor's name moved from ``Dbtr/Nm`` to ``Dbtr/Pty/Nm``). The parser
strips namespaces after checking the root, then looks for either path, so one reader serves every version (later
versions with the same shape are accepted too).

What becomes a ``StatementEntry``:

* every booked ``Ntry`` (status ``BOOK``, or no status); ``PDNG`` and ``INFO`` entries are not money yet and are
  skipped;
* a batch entry (one ``Ntry`` with several ``TxDtls``, e.g. a collective transfer) gives one entry per ``TxDtls``,
  each with its own amount; a single ``TxDtls`` takes the entry's amount (its own may be in the instructed currency);
* ``amount`` is signed by ``CdtDbtInd`` (``CRDT`` positive, ``DBIT`` negative), currency from ``Amt/@Ccy``;
* ``reference`` joins the unstructured remittance lines (``RmtInf/Ustrd``) and structured creditor references
  (``RmtInf/Strd/CdtrRefInf/Ref``); when both are absent, ``AddtlTxInf`` or ``AddtlNtryInf`` stands in, because some
  banks put the payer's text only there;
* the counterparty is the debtor for a credit and the creditor for a debit;
* ``bank_reference`` is the first present of ``TxDtls/Refs/AcctSvcrRef``, ``Ntry/AcctSvcrRef``, ``Ntry/NtryRef``,
  ``TxDtls/Refs/EndToEndId`` (``NOTPROVIDED`` ignored). An entry-level reference shared by the transactions of a
  batch gets ``/1``, ``/2``… appended, so each transaction keeps its own dedupe key.

XML is parsed with ``defusedxml`` with DTDs forbidden: a statement never needs one, and refusing them stops entity
expansion ("billion laughs") and external entity attacks before any parsing work is done.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from trunkline.billing.domain.entries import (
    StatementEntry,
    StatementFormatError,
    collapse_spaces,
    normalize_iban,
    number_occurrences,
)

NAMESPACE = re.compile(r"^\{urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.(\d{2})\}Document$")
OLDEST_VERSION = 2
NOT_A_STATEMENT = "This file is not a CAMT.053 bank statement."
BOOKED = "BOOK"
NOT_PROVIDED = "NOTPROVIDED"


def parse_camt053(data: bytes) -> list[StatementEntry]:
    """Every booked movement of every statement in the file, in file order."""
    root = _parse_xml(data)
    match = NAMESPACE.match(root.tag)
    if match is None:
        raise StatementFormatError(NOT_A_STATEMENT)
    if int(match.group(1)) < OLDEST_VERSION:
        raise StatementFormatError(f"CAMT.053 version 001.{match.group(1)} is too old; export version 001.02 or later.")
    for element in root.iter():
        element.tag = element.tag.rpartition("}")[2]
    statements = root.findall("BkToCstmrStmt/Stmt")
    if not statements:
        raise StatementFormatError("This CAMT.053 file contains no statement (no BkToCstmrStmt/Stmt element).")
    entries: list[StatementEntry] = []
    ordinal = 0
    for statement in statements:
        account_iban = normalize_iban(_text(statement, "Acct/Id/IBAN") or _text(statement, "Acct/Id/Othr/Id"))
        for ntry in statement.findall("Ntry"):
            ordinal += 1
            entries.extend(_entries_of(ntry, ordinal=ordinal, account_iban=account_iban))
    return number_occurrences(entries)


def _parse_xml(data: bytes) -> Element:
    try:
        return fromstring(data, forbid_dtd=True)
    except DefusedXmlException as error:
        raise StatementFormatError(
            "This file declares a DTD or XML entities, which bank statements never do; it was refused for safety."
        ) from error
    except ParseError as error:
        raise StatementFormatError(f"This file is not well-formed XML ({error}).") from error


def _entries_of(ntry: Element, *, ordinal: int, account_iban: str) -> list[StatementEntry]:
    status = _text(ntry, "Sts/Cd") or _text(ntry, "Sts")
    if status and status != BOOKED:
        return []
    label = _entry_label(ntry, ordinal)
    sign = _sign(_text(ntry, "CdtDbtInd"), label)
    amount, currency = _amount(ntry.find("Amt"), label)
    booking_date = _date(ntry, "BookgDt", label, required=True)
    assert booking_date is not None  # required=True never returns None
    value_date = _date(ntry, "ValDt", label, required=False)
    entry_reference = _text(ntry, "AcctSvcrRef") or _text(ntry, "NtryRef")
    transactions = ntry.findall("NtryDtls/TxDtls")
    if not transactions:
        return [
            StatementEntry(
                booking_date=booking_date,
                value_date=value_date,
                amount=sign * amount,
                currency=currency,
                reference=_reference(ntry, ntry),
                counterparty_name="",
                counterparty_iban="",
                bank_reference=entry_reference,
                account_iban=account_iban,
            )
        ]
    entries = []
    for index, transaction in enumerate(transactions, start=1):
        transaction_sign = sign
        transaction_amount, transaction_currency = amount, currency
        if len(transactions) > 1:
            transaction_label = f"{label}, transaction {index}"
            amount_element = transaction.find("Amt")
            if amount_element is None:
                amount_element = transaction.find("AmtDtls/TxAmt/Amt")
            transaction_amount, transaction_currency = _amount(amount_element, transaction_label)
            if _text(transaction, "CdtDbtInd"):
                transaction_sign = _sign(_text(transaction, "CdtDbtInd"), transaction_label)
        party, account = ("Dbtr", "DbtrAcct") if transaction_sign > 0 else ("Cdtr", "CdtrAcct")
        entries.append(
            StatementEntry(
                booking_date=booking_date,
                value_date=value_date,
                amount=transaction_sign * transaction_amount,
                currency=transaction_currency,
                reference=_reference(transaction, ntry),
                counterparty_name=collapse_spaces(
                    _text(transaction, f"RltdPties/{party}/Nm") or _text(transaction, f"RltdPties/{party}/Pty/Nm")
                ),
                counterparty_iban=normalize_iban(_text(transaction, f"RltdPties/{account}/Id/IBAN")),
                bank_reference=_bank_reference(transaction, entry_reference, index=index, count=len(transactions)),
                account_iban=account_iban,
            )
        )
    return entries


def _bank_reference(transaction: Element, entry_reference: str, *, index: int, count: int) -> str:
    own = _text(transaction, "Refs/AcctSvcrRef")
    if own:
        return own
    if entry_reference:
        return f"{entry_reference}/{index}" if count > 1 else entry_reference
    end_to_end = _text(transaction, "Refs/EndToEndId")
    return "" if end_to_end.upper() == NOT_PROVIDED else end_to_end


def _reference(transaction: Element, ntry: Element) -> str:
    parts = [_clean(element.text) for element in transaction.findall("RmtInf/Ustrd")]
    parts += [_clean(element.text) for element in transaction.findall("RmtInf/Strd/CdtrRefInf/Ref")]
    reference = " ".join(part for part in parts if part)
    return reference or collapse_spaces(_text(transaction, "AddtlTxInf") or _text(ntry, "AddtlNtryInf"))


def _entry_label(ntry: Element, ordinal: int) -> str:
    reference = _text(ntry, "AcctSvcrRef") or _text(ntry, "NtryRef")
    return f"Entry {ordinal} ({reference})" if reference else f"Entry {ordinal}"


def _sign(indicator: str, label: str) -> Decimal:
    if indicator == "CRDT":
        return Decimal(1)
    if indicator == "DBIT":
        return Decimal(-1)
    raise StatementFormatError(f"{label} says neither CRDT nor DBIT in CdtDbtInd (found {indicator!r}).")


def _amount(element: Element | None, label: str) -> tuple[Decimal, str]:
    text = _clean(element.text) if element is not None else ""
    if element is None or not text:
        raise StatementFormatError(f"{label} has no amount.")
    if not re.fullmatch(r"\d+(?:\.\d+)?", text):  # xs:decimal as banks write it: no sign, no exponent
        raise StatementFormatError(f"{label} has an amount that is not a positive number: {text!r}.")
    amount = Decimal(text)
    currency = (element.get("Ccy") or "").strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise StatementFormatError(f"{label} has an amount without a currency (Ccy).")
    return amount, currency


def _date(ntry: Element, path: str, label: str, *, required: bool) -> date | None:
    text = _text(ntry, f"{path}/Dt") or _text(ntry, f"{path}/DtTm")[:10]
    if not text:
        if required:
            raise StatementFormatError(f"{label} has no booking date.")
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise StatementFormatError(f"{label} has a date that is not YYYY-MM-DD: {text!r}.") from None


def _text(element: Element, path: str) -> str:
    found = element.find(path)
    return _clean(found.text) if found is not None else ""


def _clean(text: str | None) -> str:
    return (text or "").strip()
