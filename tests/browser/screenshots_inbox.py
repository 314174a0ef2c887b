"""Screenshots of the inbox for the docs (docs/screenshots/inbox-*.png), from a running server with demo data:
``python tests/browser/screenshots_inbox.py --base-url http://127.0.0.1:8000``."""

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
        sign_in(page, base, "admin@sofiadental.example")
        page.goto(f"{base}/app/inbox/?status=")
        expect(page.locator("#inbox-live")).to_have_attribute("data-state", "live")
        shoot(page, "inbox-list.png")
        page.locator(".conversation-item", has_text="Мария Георгиева").click()
        expect(page.locator("#inbox-live")).to_have_attribute("data-state", "live")
        page.locator("#composer-body").fill("Да, в петък 11:30 е свободно. Ще ви очакваме!")
        shoot(page, "inbox-conversation.png")
        page.goto(f"{base}/app/campaigns/")
        page.locator("tbody a").first.click()
        expect(page.locator("#campaign-status")).to_be_visible()
        shoot(page, "inbox-campaign.png")
        page.goto(f"{base}/app/channels/")
        expect(page.locator("#channel-table")).to_be_visible()
        shoot(page, "inbox-channels.png")
        page.locator("#channel-table tbody a").first.click()
        expect(page.locator("#hook-url")).to_be_visible()
        shoot(page, "inbox-channel.png")
        page.goto(f"{base}/app/contacts/?q=%2B359888100204")  # the demo contact who replied СТОП
        page.locator("#contact-table tbody a").first.click()
        expect(page.locator("#consent-table")).to_be_visible()
        shoot(page, "inbox-contact.png")
        page.context.close()
        browser.close()
    if problems.messages:
        print("The browser console reported problems:", *problems.messages, sep="\n  ", file=sys.stderr)  # noqa: T201
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
