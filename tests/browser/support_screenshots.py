"""Screenshots of the support desk for docs/support.md, from a running server with demo data:

.venv/bin/python tests/browser/support_screenshots.py --base-url http://127.0.0.1:8000
"""

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
        sign_in(page, base, "admin@sofiadental.example")
        page.goto(f"{base}/app/support/")
        shoot(page, "support-customer-tickets.png")
        page.goto(f"{base}/app/support/new/")
        shoot(page, "support-open-ticket.png")
        page.goto(f"{base}/app/support/")
        page.get_by_role("link", name="Viber messages arrive late").click()
        expect(page.locator(".sla-timeline")).to_be_visible()
        shoot(page, "support-ticket-timeline.png")
        page.context.close()

        page = new_page(browser, problems)
        sign_in(page, base, "staff@operator.example")
        page.goto(f"{base}/ops/support/")
        shoot(page, "support-staff-queue.png")
        page.get_by_role("link", name="Recording of calls stopped").click()
        expect(page.locator(".sla-timeline")).to_be_visible()
        shoot(page, "support-staff-ticket.png")
        page.goto(f"{base}/ops/support/reports/")
        shoot(page, "support-compliance-report.png")
        page.goto(f"{base}/ops/support/maintenance/")
        shoot(page, "support-maintenance.png")
        page.goto(f"{base}/ops/support/policy/")
        shoot(page, "support-policy.png")
        page.goto(f"{base}/ops/support/representatives/")
        shoot(page, "support-representatives.png")
        page.context.close()

        page = new_page(browser, problems)
        page.goto(f"{base}/status/")
        shoot(page, "support-status-page.png")
        page.context.close()
        browser.close()
    if problems.messages:
        print("The browser console reported problems:", *problems.messages, sep="\n  ", file=sys.stderr)  # noqa: T201
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
