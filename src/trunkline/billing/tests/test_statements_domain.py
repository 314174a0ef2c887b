"""The pure statement core: CAMT.053 and CSV parsing, dedupe keys, invoice numbers in references, allocation.

No database: these run in milliseconds and never need the billing app to be installed.
"""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trunkline.billing.domain.csv_statement import parse_amount
from trunkline.billing.domain.matching import Allocation, ItemPayment, OpenItem, allocate, find_invoice_numbers
from trunkline.billing.domain.statements import (
    StatementEntry,
    StatementFormatError,
    parse_camt053,
    parse_csv_statement,
    parse_statement,
)

FIXTURES = Path(__file__).parent / "fixtures"
OUR_IBAN = "BG80BNBG96611020345678"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def keys(entries: list[StatementEntry]) -> list[str]:
    return [entry.dedupe_key for entry in entries]


# --- CAMT.053 ------------------------------------------------------------------------------------------------------


def test_camt053_001_02_gives_one_entry_per_transaction_with_exact_values():
    """Version .02: a single credit, a batch of two transactions, a debit and a credit without references."""
    entries = parse_camt053(fixture("camt053_001_02.xml"))
    assert entries == [
        StatementEntry(
            booking_date=date(2026, 11, 20),
            value_date=date(2026, 11, 20),
            amount=Decimal("1200.00"),
            currency="EUR",
            reference="Плащане по фактура 0000000012",
            counterparty_name="Телеком Сервиз ЕООД",
            counterparty_iban="BG18RZBB91550123456789",
            bank_reference="FT26324A1B2C3",
            account_iban=OUR_IBAN,
        ),
        StatementEntry(
            booking_date=date(2026, 11, 20),
            value_date=date(2026, 11, 21),
            amount=Decimal("600.00"),
            currency="EUR",
            reference="PF-0000000007",
            counterparty_name="Varna Networks OOD",
            counterparty_iban="BG72UNCR70001523456789",
            bank_reference="FT26324BATCH9/1",
            account_iban=OUR_IBAN,
        ),
        StatementEntry(
            booking_date=date(2026, 11, 20),
            value_date=date(2026, 11, 21),
            amount=Decimal("250.50"),
            currency="EUR",
            reference="RF18000000000000000000000013",
            counterparty_name="Plovdiv Voice AD",
            counterparty_iban="BG43STSA93000012345678",
            bank_reference="FT26324BATCH9/2",
            account_iban=OUR_IBAN,
        ),
        StatementEntry(
            booking_date=date(2026, 11, 20),
            value_date=date(2026, 11, 20),
            amount=Decimal("-35.90"),
            currency="EUR",
            reference="Server rent November",
            counterparty_name="Hosting Provider GmbH",
            counterparty_iban="DE89370400440532013000",
            bank_reference="FT26324FEE001",
            account_iban=OUR_IBAN,
        ),
        StatementEntry(
            booking_date=date(2026, 11, 20),
            value_date=None,
            amount=Decimal("99.00"),
            currency="EUR",
            reference="invoice 0000000014 part 1 of 2",
            counterparty_name="Ivan Petrov",
            counterparty_iban="",
            bank_reference="",
            account_iban=OUR_IBAN,
        ),
    ]


def test_camt053_001_08_reads_party_names_date_times_and_skips_pending_entries():
    """Version .08: Dbtr/Pty/Nm, BookgDt/DtTm, Sts/Cd; a PDNG entry is not money yet; AddtlNtryInf stands in."""
    entries = parse_camt053(fixture("camt053_001_08.xml"))
    assert entries == [
        StatementEntry(
            booking_date=date(2026, 11, 21),
            value_date=date(2026, 11, 21),
            amount=Decimal("2400.00"),
            currency="EUR",
            reference="PF0000000021 i 0000000022 0000000022",
            counterparty_name="Burgas Cloud EAD",
            counterparty_iban="BG19FINV91501017534825",
            bank_reference="0A1B2C3D4E5F-TX",
            account_iban=OUR_IBAN,
        ),
        StatementEntry(
            booking_date=date(2026, 11, 21),
            value_date=None,
            amount=Decimal("-15.00"),
            currency="EUR",
            reference="Monthly account fee",
            counterparty_name="",
            counterparty_iban="",
            bank_reference="FEE-2026-11",
            account_iban=OUR_IBAN,
        ),
    ]


def test_parse_statement_sniffs_xml_by_content_even_with_a_byte_order_mark_and_any_name():
    """A CAMT file renamed to .txt, with a UTF-8 BOM, is still read as CAMT."""
    data = b"\xef\xbb\xbf" + fixture("camt053_001_02.xml")
    assert parse_statement(data, "export.txt") == parse_camt053(fixture("camt053_001_02.xml"))


# --- CSV -----------------------------------------------------------------------------------------------------------


def test_utf8_semicolon_csv_with_decimal_commas_gives_exact_values():
    """BOM, semicolons, '1 200,00' and quoted '1.234,50', a negative debit and an empty value date."""
    entries = parse_csv_statement(fixture("statement_utf8_semicolon.csv"), account_iban="bg80 bnbg 9661 1020 3456 78")
    assert [(entry.amount, entry.value_date, entry.bank_reference) for entry in entries] == [
        (Decimal("1200.00"), date(2026, 11, 20), "FT26324A1B2C3"),
        (Decimal("1234.50"), date(2026, 11, 21), ""),
        (Decimal("-35.90"), date(2026, 11, 20), "FT26324FEE001"),
        (Decimal("49.00"), None, ""),
        (Decimal("49.00"), None, ""),
    ]
    assert entries[0] == StatementEntry(
        booking_date=date(2026, 11, 20),
        value_date=date(2026, 11, 20),
        amount=Decimal("1200.00"),
        currency="EUR",
        reference="Плащане по фактура 0000000012",
        counterparty_name="Телеком Сервиз ЕООД",
        counterparty_iban="BG18RZBB91550123456789",
        bank_reference="FT26324A1B2C3",
        account_iban=OUR_IBAN,
    )


def test_cp1251_csv_with_bulgarian_headers_commas_and_dotted_dates():
    """Windows-1251 bytes, Bulgarian column names, comma delimiter, DD.MM.YYYY and 'лв' as the currency."""
    entries = parse_statement(fixture("statement_cp1251_bulgarian.csv"), "извлечение.csv")
    assert entries == [
        StatementEntry(
            booking_date=date(2026, 11, 20),
            value_date=date(2026, 11, 20),
            amount=Decimal("1500.00"),
            currency="BGN",
            reference="Ф-ра 0000000031 лицензи",
            counterparty_name="Мобилни Решения ООД",
            counterparty_iban="BG27UBBS80021087654321",
            bank_reference="",
            account_iban="",
        ),
        StatementEntry(
            booking_date=date(2026, 11, 21),
            value_date=None,
            amount=Decimal("97.79"),
            currency="BGN",
            reference="проформа PF 0000000032",
            counterparty_name="Георги Иванов",
            counterparty_iban="",
            bank_reference="",
            account_iban="",
        ),
    ]


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("1 234,50", "1234.50"),
        ("1\u00a0234,50", "1234.50"),
        ("1.234,50", "1234.50"),
        ("1,234.50", "1234.50"),
        ("1.234.567,89", "1234567.89"),
        ("1,234,567.89", "1234567.89"),
        ("1.234.567", "1234567.00"),
        ("12,5", "12.50"),
        ("12.50", "12.50"),
        ("-35,90", "-35.90"),
        ("+7", "7.00"),
        ("0,01", "0.01"),
    ],
)
def test_amounts_with_a_decimal_comma_or_point_parse_exactly(text, amount):
    """The last of '.'/',' is the decimal mark when both appear; a lone one before 1–2 digits is decimal."""
    parsed = parse_amount(text)
    assert parsed == Decimal(amount)
    assert str(parsed) == amount


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1,234", "the amount '1,234' is ambiguous (1234 or 1.234?): write it with the cents, e.g. '1234,00'."),
        ("1.234", "the amount '1.234' is ambiguous (1234 or 1.234?): write it with the cents, e.g. '1234,00'."),
        ("12,3456", "the amount '12,3456' has more than two decimals or is not a number."),
        ("1.234.50", "the amount '1.234.50' is not a number."),
        ("1,2.50", "the amount '1,2.50' is not a number."),
        ("12 EUR", "the amount '12 EUR' is not a number."),
        ("-", "the amount '-' is not a number."),
    ],
)
def test_ambiguous_or_broken_amounts_are_refused_not_guessed(text, message):
    """'1,234' could be 1234 or 1.234, so it is refused; so are malformed groupings and extra decimals."""
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        parse_amount(text)


# --- dedupe keys ---------------------------------------------------------------------------------------------------


def test_dedupe_keys_are_sha256_hex_and_stable_across_re_parsing():
    """Parsing the same file twice gives the same keys, and every key is a 64-character hex digest."""
    for name in ("camt053_001_02.xml", "camt053_001_08.xml", "statement_utf8_semicolon.csv"):
        first, second = keys(parse_statement(fixture(name), name)), keys(parse_statement(fixture(name), name))
        assert first == second
        assert all(len(key) == 64 and int(key, 16) >= 0 for key in first)


def test_identical_lines_in_one_file_are_both_kept_with_distinct_keys():
    """Two identical 49,00 transfers from Ivan Petrov on one day are two payments, not one."""
    entries = parse_csv_statement(fixture("statement_utf8_semicolon.csv"))
    assert [entry.occurrence for entry in entries] == [1, 1, 1, 1, 2]
    assert entries[3].dedupe_key != entries[4].dedupe_key
    assert len(set(keys(entries))) == 5


def test_identical_camt_entries_without_references_are_kept_apart():
    """A duplicated reference-less CAMT entry counts as a second payment with its own key."""
    data = fixture("camt053_001_02.xml")
    last_entry = data[data.rindex(b"<Ntry>") : data.rindex(b"</Ntry>") + len(b"</Ntry>")]
    doubled = data.replace(b"</Stmt>", last_entry + b"</Stmt>")
    entries = parse_camt053(doubled)
    assert len(entries) == 6
    assert entries[4].dedupe_key != entries[5].dedupe_key
    assert keys(entries)[:5] == keys(parse_camt053(data))


def test_overlapping_camt_statements_give_the_same_keys_for_the_shared_lines():
    """A later statement covering 20 and 21 November repeats the 20th's lines with the same keys."""
    first = parse_camt053(fixture("camt053_001_02.xml"))
    next_day = (
        b"<Ntry><Amt Ccy='EUR'>10.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2026-11-21</Dt></BookgDt>"
        b"<AcctSvcrRef>FT26325ZZZ</AcctSvcrRef></Ntry></Stmt>"
    )
    overlapping = parse_camt053(fixture("camt053_001_02.xml").replace(b"</Stmt>", next_day))
    assert keys(overlapping)[:5] == keys(first)
    assert overlapping[5].dedupe_key not in keys(first)


def test_overlapping_csv_statements_give_the_same_keys_for_the_shared_lines():
    """The same day exported again with the next day appended keeps both identical lines' keys."""
    data = fixture("statement_utf8_semicolon.csv")
    extended = data + b"2026-11-21;;49,00;EUR;invoice 0000000014;Ivan Petrov;;\r\n"
    first, later = parse_csv_statement(data), parse_csv_statement(extended)
    assert keys(later)[:5] == keys(first)
    assert later[5].dedupe_key not in keys(first)


def test_the_key_uses_the_bank_reference_and_ignores_reference_text_when_one_is_present():
    """With a bank reference, re-typed remittance text or value date does not change the key; the account does."""
    entry = parse_camt053(fixture("camt053_001_02.xml"))[0]
    same_line = replace(entry, reference="edited", value_date=None)
    other_account = replace(entry, account_iban="BG00XXXX00000000000000")
    assert same_line.dedupe_key == entry.dedupe_key
    assert other_account.dedupe_key != entry.dedupe_key


def test_the_batch_transactions_share_an_entry_reference_but_not_a_key():
    """The two transactions of one batch entry get '/1' and '/2' and therefore different keys."""
    entries = parse_camt053(fixture("camt053_001_02.xml"))
    assert (entries[1].bank_reference, entries[2].bank_reference) == ("FT26324BATCH9/1", "FT26324BATCH9/2")
    assert entries[1].dedupe_key != entries[2].dedupe_key


# --- refused files -------------------------------------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>&lol4;</BkToCstmrStmt></Document>
"""


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"<Document><BkToCstmrStmt>",
            "This file is not well-formed XML (no element found: line 1, column 25).",
        ),
        (
            BILLION_LAUGHS,
            "This file declares a DTD or XML entities, which bank statements never do; it was refused for safety.",
        ),
        (
            b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><Document>&e;</Document>',
            "This file declares a DTD or XML entities, which bank statements never do; it was refused for safety.",
        ),
        (
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.052.001.02"><BkToCstmrAcctRpt/></Document>',
            "This file is not a CAMT.053 bank statement.",
        ),
        (b"<html><body>Online banking</body></html>", "This file is not a CAMT.053 bank statement."),
        (
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.01"/>',
            "CAMT.053 version 001.01 is too old; export version 001.02 or later.",
        ),
        (
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt/></Document>',
            "This CAMT.053 file contains no statement (no BkToCstmrStmt/Stmt element).",
        ),
    ],
)
def test_broken_hostile_or_foreign_xml_is_refused_with_a_sentence(data, message):
    """Malformed XML, entity expansion, external entities, another message type, an old version, no statement."""
    with pytest.raises(StatementFormatError) as error:
        parse_camt053(data)
    assert error.value.message == message
    assert error.value.code == "billing.statement_format"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            b'<Amt Ccy="EUR">1200.00</Amt>\n        <CdtDbtInd>',
            b"<CdtDbtInd>",
            "Entry 1 (FT26324A1B2C3) has no amount.",
        ),
        (b'<Amt Ccy="EUR">1200.00</Amt>', b'<Amt Ccy="EUR">12OO.00</Amt>', None),
        (
            b'<Amt Ccy="EUR">1200.00</Amt>',
            b'<Amt Ccy="EUR">1.2E+3</Amt>',
            "Entry 1 (FT26324A1B2C3) has an amount that is not a positive number: '1.2E+3'.",
        ),
        (
            b'<Amt Ccy="EUR">1200.00</Amt>',
            b"<Amt>1200.00</Amt>",
            "Entry 1 (FT26324A1B2C3) has an amount without a currency (Ccy).",
        ),
        (b"<BookgDt><Dt>2026-11-20</Dt></BookgDt>", b"", "Entry 1 (FT26324A1B2C3) has no booking date."),
        (
            b"<BookgDt><Dt>2026-11-20</Dt></BookgDt>",
            b"<BookgDt><Dt>20.11.2026</Dt></BookgDt>",
            "Entry 1 (FT26324A1B2C3) has a date that is not YYYY-MM-DD: '20.11.2026'.",
        ),
        (
            b"<CdtDbtInd>CRDT</CdtDbtInd>\n        <Sts>",
            b"<CdtDbtInd>CREDIT</CdtDbtInd>\n        <Sts>",
            "Entry 1 (FT26324A1B2C3) says neither CRDT nor DBIT in CdtDbtInd (found 'CREDIT').",
        ),
        (
            b'<AmtDtls><TxAmt><Amt Ccy="EUR">250.50</Amt></TxAmt></AmtDtls>',
            b"",
            "Entry 2 (FT26324BATCH9), transaction 2 has no amount.",
        ),
    ],
)
def test_an_entry_missing_what_makes_it_money_is_refused_naming_the_entry(old, new, message):
    """No amount, a non-numeric amount, no or a bad booking date, no direction, a batch part without amount."""
    data = fixture("camt053_001_02.xml")
    assert old in data
    with pytest.raises(StatementFormatError) as error:
        parse_camt053(data.replace(old, new, 1))
    expected = message or "Entry 1 (FT26324A1B2C3) has an amount that is not a positive number: '12OO.00'."
    assert error.value.message == expected


HEADER = "date;amount;currency;reference;counterparty\n"


@pytest.mark.parametrize(
    ("text", "message", "row"),
    [
        (
            HEADER + "2026-11-20;10,00;EUR;x;y\n31.02.2026;10,00;EUR;x;y\n",
            "Row 3: the date '31.02.2026' is not YYYY-MM-DD or DD.MM.YYYY.",
            3,
        ),
        (HEADER + "20/11/2026;10,00;EUR;x;y\n", "Row 2: the date '20/11/2026' is not YYYY-MM-DD or DD.MM.YYYY.", 2),
        (HEADER + "2026-11-20;;EUR;x;y\n", "Row 2: the amount is empty.", 2),
        (HEADER + "2026-11-20;ten;EUR;x;y\n", "Row 2: the amount 'ten' is not a number.", 2),
        (
            HEADER + "2026-11-20;10,00;euros;x;y\n",
            "Row 2: the currency 'euros' is not a three-letter code such as EUR or BGN.",
            2,
        ),
        (
            "date;amount;reference\n2026-11-20;10,00;x\n",
            "Row 1: the header has no column for currency, counterparty. "
            "Expected columns such as: date, amount, currency, reference, counterparty.",
            1,
        ),
    ],
)
def test_bad_csv_rows_are_refused_naming_the_row_and_the_problem(text, message, row):
    """Impossible or foreign-format dates, empty or wordy amounts, unknown currencies, missing columns."""
    with pytest.raises(StatementFormatError) as error:
        parse_csv_statement(text.encode())
    assert (error.value.message, error.value.row) == (message, row)


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"", "empty.csv", "The file is empty."),
        (
            b"date;amount\n",
            "statement.xml",
            "This file is named .xml but does not contain XML; export the CAMT.053 statement.",
        ),
        (
            b"%PDF-1.7\n...",
            "izvlechenie.pdf",
            "This file is a PDF document; export the statement as CAMT.053 XML or as CSV.",
        ),
        (
            b"PK\x03\x04\x14\x00",
            "statement.xlsx",
            "This file is a spreadsheet or ZIP archive (for example .xlsx); "
            "export the statement as CAMT.053 XML or as CSV.",
        ),
        (
            HEADER.encode() + b'2026-11-20;1;EUR;"' + b"x" * 200_000 + b'";y\n',
            "huge.csv",
            "This file cannot be read as CSV (field larger than field limit (131072)).",
        ),
    ],
)
def test_parse_statement_refuses_what_is_not_a_statement(data, filename, message):
    """An empty upload, a CSV renamed to .xml, a PDF, an Excel file, a runaway field: each gets a sentence."""
    with pytest.raises(StatementFormatError) as error:
        parse_statement(data, filename)
    assert error.value.message == message


# --- invoice numbers in references ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reference", "numbers"),
    [
        ("Плащане по фактура 0000000012", ["0000000012"]),
        ("ф-ра №0000000012, 0000000013", ["0000000012", "0000000013"]),
        ("PF0000000012", ["PF0000000012"]),
        ("pf-0000000012", ["PF0000000012"]),
        ("проформа PF 0000000032", ["PF0000000032"]),
        ("PF№0000000032 PF#0000000033 PF/0000000034", ["PF0000000032", "PF0000000033", "PF0000000034"]),
        ("PF0000000021 i 0000000022 0000000022", ["PF0000000021", "0000000022"]),
        ("INV0000000018", ["0000000018"]),
        ("tel +359888123456", []),
        ("12345678901", []),
        ("000000001", []),
        ("0000 0000 12", []),
        ("0000-000012", []),
        ("VAT BG1234567890", []),
        ("PF00000000123", []),
        ("", []),
    ],
)
def test_invoice_and_proforma_numbers_are_found_in_references(reference, numbers):
    """Exactly ten digits not touching another digit; PF with at most one separator; no VAT numbers; no gluing."""
    assert find_invoice_numbers(reference) == numbers


# --- allocation ----------------------------------------------------------------------------------------------------


def test_a_partial_payment_pays_part_of_the_first_item_and_leaves_nothing_unallocated():
    """Half an invoice: the invoice gets the half, nothing is left as credit."""
    allocation = allocate(Decimal("600.00"), [OpenItem("0000000012", Decimal("1200.00"))])
    assert allocation == Allocation(
        payments=(ItemPayment("0000000012", Decimal("600.00")),), unallocated=Decimal("0.00")
    )


def test_an_overpayment_settles_the_items_in_order_and_keeps_the_rest_as_credit():
    """1300 over 1000 + 200 pays both in full and leaves 100 unallocated."""
    allocation = allocate(
        Decimal("1300"), [OpenItem("0000000012", Decimal("1000.00")), OpenItem("PF0000000013", Decimal("200"))]
    )
    assert allocation.payments == (
        ItemPayment("0000000012", Decimal("1000.00")),
        ItemPayment("PF0000000013", Decimal("200.00")),
    )
    assert (allocation.allocated, allocation.unallocated) == (Decimal("1200.00"), Decimal("100.00"))
    assert allocation.amount_for("PF0000000013") == Decimal("200.00")
    assert allocation.amount_for("0000000099") == Decimal("0.00")


def test_items_owing_nothing_are_skipped_and_later_items_still_paid():
    """A settled or credited item receives nothing; the next open item gets the money."""
    allocation = allocate(
        Decimal("50.00"),
        [
            OpenItem("0000000001", Decimal("0")),
            OpenItem("0000000002", Decimal("-5")),
            OpenItem("0000000003", Decimal("80")),
        ],
    )
    assert allocation.payments == (ItemPayment("0000000003", Decimal("50.00")),)
    assert allocation.unallocated == Decimal("0.00")


def test_amounts_are_rounded_half_up_to_the_cent_before_allocating():
    """0.005 rounds up to 0.01 and 10.004 down to 10.00, so allocated + unallocated is the rounded amount."""
    allocation = allocate(Decimal("10.005"), [OpenItem("0000000001", Decimal("10.004"))])
    assert allocation.payments == (ItemPayment("0000000001", Decimal("10.00")),)
    assert allocation.unallocated == Decimal("0.01")


def test_allocate_refuses_floats_negative_amounts_and_duplicate_items():
    """A float cannot hold cents; a negative amount is not a payment; a duplicated item is ambiguous."""
    with pytest.raises(TypeError) as float_error:
        allocate(10.5, [])  # type: ignore[arg-type]
    assert str(float_error.value) == "Amounts are Decimal, not float."
    with pytest.raises(ValueError, match=r"^Only money received can be allocated, not -1\.00\.$"):
        allocate(Decimal("-1"), [])
    with pytest.raises(ValueError, match=r"^Each open item may appear only once\.$"):
        allocate(Decimal("1"), [OpenItem("0000000001", Decimal(1)), OpenItem("0000000001", Decimal(2))])


cents = st.decimals(min_value=Decimal("0"), max_value=Decimal("1000000"), places=2, allow_nan=False)
signed_cents = st.decimals(min_value=Decimal("-1000"), max_value=Decimal("1000000"), places=2, allow_nan=False)


@given(amount=cents, outstanding=st.lists(signed_cents, max_size=8))
def test_allocation_never_exceeds_the_amount_or_an_item_and_adds_up_exactly(amount, outstanding):
    """Property: each payment is positive and at most what the item owes; allocated + unallocated == amount."""
    items = [OpenItem(f"{index:010d}", value) for index, value in enumerate(outstanding)]
    allocation = allocate(amount, items)
    owed = {item.number: item.outstanding for item in items}
    assert allocation.allocated + allocation.unallocated == amount
    assert Decimal(0) <= allocation.allocated <= amount
    assert allocation.unallocated >= 0
    for payment in allocation.payments:
        assert Decimal(0) < payment.amount <= owed[payment.number]
        assert isinstance(payment.amount, Decimal)
    if allocation.unallocated > 0:
        assert all(allocation.amount_for(item.number) == max(item.outstanding, Decimal(0)) for item in items)


@given(amount=cents, outstanding=st.lists(cents, min_size=1, max_size=8))
def test_allocation_pays_items_strictly_in_the_order_given(amount, outstanding):
    """Property: an item receives money only if every earlier item was paid in full."""
    items = [OpenItem(f"{index:010d}", value) for index, value in enumerate(outstanding)]
    allocation = allocate(amount, items)
    for position, item in enumerate(items):
        if allocation.amount_for(item.number) > 0:
            assert all(allocation.amount_for(earlier.number) == earlier.outstanding for earlier in items[:position])


# --- purity --------------------------------------------------------------------------------------------------------


def test_the_statement_domain_imports_no_django():
    """The domain package stays pure: no module in it imports Django, directly."""
    domain = Path(__file__).parent.parent / "domain"
    paths = sorted(domain.glob("*.py"))
    assert len(paths) >= 5
    for path in paths:
        modules: list[str] = []
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules.append(node.module or "")
        assert not [module for module in modules if module.split(".")[0] == "django"], path
