"""A reseller imports end users from a CSV in the browser: the upload goes to the import's page, whose progress bar
follows the background task row by row (htmx polling) and then shows the per-row error report (issue 7, item 3)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from trunkline.licensing.models import EndUserImport
from trunkline.licensing.services import end_user_import_batch, end_user_import_run
from trunkline.testing.factories import member

pytestmark = pytest.mark.django_db(transaction=True)

CSV = (
    b"name,email,phone,address,affiliated,reference\n"
    b"Ana Petrova,ana@example.com,+35921234567,Sofia,no,A1\n"
    b",ana-at-example,,,maybe,A2\n"
    b"Boris,boris@example.com,12,,yes,A3\n"
    b"Vera,vera@example.com,,Plovdiv,yes,A4\n"
    b"Georgi,georgi@example.com,,,independent,A5\n"
)


@pytest.mark.browser
@pytest.mark.task_queue  # the task waits in the database queue; the test plays the worker batch by batch
@pytest.mark.rule("RT-4.3")
def test_the_import_page_follows_the_task_row_by_row(page: Page, sign_in_as, live_server):
    reseller = member(kind="reseller", role="admin", accepted_terms=True)
    sign_in_as(reseller.user)
    page.goto("/reseller/licensing/end-users/")
    page.get_by_label("CSV file").set_input_files(files=[{"name": "users.csv", "mimeType": "text/csv", "buffer": CSV}])
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page).to_have_url(re.compile(r"/reseller/licensing/end-users/imports/[0-9a-f-]+/$"))
    bar = page.locator("#import-progress progress")
    expect(bar).to_have_attribute("max", "5")
    expect(bar).to_have_attribute("value", "0")
    record = EndUserImport.objects.get()
    end_user_import_batch(import_id=record.pk, batch_size=2)
    expect(bar).to_have_attribute("value", "2")
    expect(page.get_by_text("2 of 5 rows done, 1 end users created so far.")).to_be_visible()
    end_user_import_run(import_id=record.pk)
    expect(page.get_by_text("Done: 3 of 5 rows imported.")).to_be_visible()
    expect(page.get_by_role("heading", name="2 rows were refused")).to_be_visible()
    rows = page.locator("#import-progress tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("3")
    expect(rows.nth(1)).to_contain_text("phone: Give a valid phone number, e.g. +359 2 123 4567.")
