"""Screenshots of the licensing pages for docs/licensing.md, from a running server with demo data (``bin/screenshots``
runs it after the shell's screenshots)."""

from __future__ import annotations

import argparse
import sys

from chromium import ConsoleProblems, launch
from playwright.sync_api import expect, sync_playwright
from screenshots import OUT, new_page, shoot, sign_in


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    base = parser.parse_args().base_url.rstrip("/")
    OUT.mkdir(parents=True, exist_ok=True)
    problems = ConsoleProblems()
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = new_page(browser, problems)
        sign_in(page, base, "reseller@balkanvoice.example")
        page.locator(".topnav a[href='/reseller/licensing/']").click()
        expect(page.locator("h1")).to_have_text("Licensing")
        shoot(page, "licensing-reseller-dashboard.png")
        page.goto(f"{base}/reseller/licensing/end-users/")
        shoot(page, "licensing-end-users.png")
        page.get_by_role("link", name="Sofia Dental Clinic").click()
        expect(page.locator("h1")).to_have_text("Sofia Dental Clinic")
        shoot(page, "licensing-end-user.png")
        page.context.close()

        page = new_page(browser, problems)
        sign_in(page, base, "staff@operator.example")
        page.goto(f"{base}/ops/licensing/")
        page.get_by_role("link", name="Balkan Voice Resellers").click()
        shoot(page, "licensing-ops-reseller.png")
        page.context.close()
        browser.close()
    if problems.messages:
        print("The browser console reported problems:", *problems.messages, sep="\n  ", file=sys.stderr)  # noqa: T201
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
