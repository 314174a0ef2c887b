"""Screenshot of an email conversation in the inbox for the docs (docs/screenshots/inbox-email*.png), from a running
server with demo data: ``python tests/browser/screenshots_inbox_email.py --base-url http://127.0.0.1:8000``."""

from __future__ import annotations

import argparse
import sys

from chromium import ConsoleProblems, launch
from playwright.sync_api import expect, sync_playwright
from screenshots import new_page, shoot, sign_in


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    base = parser.parse_args().base_url.rstrip("/")
    problems = ConsoleProblems()
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = new_page(browser, problems)
        page.set_viewport_size({"width": 1280, "height": 1040})
        sign_in(page, base, "admin@sofiadental.example")
        page.goto(f"{base}/app/inbox/?status=")
        page.locator(".conversation-item", has_text="Мария Иванова").click()
        expect(page.locator("#inbox-live")).to_have_attribute("data-state", "live")
        expect(page.locator("[data-email-frame]").first).to_be_visible()
        page.wait_for_timeout(500)  # the frames size themselves on load
        page.locator("#thread-messages").evaluate("element => { element.scrollTop = 0; }")
        page.locator("#composer-body").fill("Записах ви за сряда, 9:30. До скоро!")
        shoot(page, "inbox-email.png")
        page.locator(".conversation-item", has_text="Рентгенова").click()
        expect(page.locator(".email-attachments a").first).to_be_visible()
        shoot(page, "inbox-email-attachment.png")
        page.context.close()
        browser.close()
    if problems.messages:
        print("The browser console reported problems:", *problems.messages, sep="\n  ", file=sys.stderr)  # noqa: T201
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
