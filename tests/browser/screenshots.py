"""Screenshots of the UI shell for the docs, taken from a running server with demo data (see ``bin/screenshots``).

The operator pages come last, so that the audit trail shows what the other steps did.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from chromium import VIEWPORT, ConsoleProblems, launch
from playwright.sync_api import Browser, Page, expect, sync_playwright

DEMO_PASSWORD = "trunkline-demo"
API_KEY_NAME = "Billing system"
OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def new_page(browser: Browser, problems: ConsoleProblems) -> Page:
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB", timezone_id="Europe/Sofia")
    return problems.watch(context.new_page())


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.locator("main button[type=submit]").click()
    expect(page.locator(".topnav")).to_be_visible()


def shoot(page: Page, name: str) -> None:
    path = OUT / name
    page.screenshot(path=str(path), full_page=True)
    print(f"  {path.relative_to(OUT.parents[1])}")  # noqa: T201


def pbx_screenshots(page: Page, base: str) -> None:
    """The PBX panel (forwarding, business hours, trunk profile, bandwidth calculator), its statistics page, and the
    music and voice messages page."""
    page.goto(f"{base}/app/pbx/?ip_phone_lines=10&web_phone_lines=4")
    expect(page.locator(".hunt-list").first).to_be_visible()
    shoot(page, "pbx-panel.png")
    with_hours = page.locator("article.pbx-number:has(.pbx-hours[open])").first
    expect(with_hours.locator(".pbx-week")).to_be_visible()
    with_hours.screenshot(path=str(OUT / "pbx-business-hours.png"))
    print("  docs/screenshots/pbx-business-hours.png")  # noqa: T201
    page.goto(f"{base}/app/pbx/voice/")
    expect(page.locator(".asset").first).to_be_visible()
    shoot(page, "pbx-voice.png")
    page.goto(f"{base}/app/pbx/statistics/?group=day&days=7")
    expect(page.locator(".pbx-chart")).to_be_visible()
    shoot(page, "pbx-statistics.png")
    page.goto(f"{base}/app/pbx/statistics/?group=hour&days=1")
    shoot(page, "pbx-statistics-hourly.png")


def ops_pbx_screenshots(page: Page, base: str) -> None:
    """The PBX in the back office: configuration requests, voice assets waiting for a step, carriers and trunks."""
    page.goto(f"{base}/ops/pbx/?requests=all&assets=all")
    expect(page.locator("#assets-heading")).to_be_visible()
    shoot(page, "ops-pbx.png")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    base = parser.parse_args().base_url.rstrip("/")
    OUT.mkdir(parents=True, exist_ok=True)
    problems = ConsoleProblems()
    with sync_playwright() as playwright:
        browser = launch(playwright)

        page = new_page(browser, problems)
        page.goto(f"{base}/")
        shoot(page, "landing.png")
        page.goto(f"{base}/accounts/login/")
        shoot(page, "sign-in.png")
        page.get_by_label("Language").select_option("bg")
        page.locator(".language-form button").click()
        expect(page.locator("html")).to_have_attribute("lang", "bg")
        shoot(page, "sign-in-bg.png")
        page.context.close()

        page = new_page(browser, problems)
        sign_in(page, base, "reseller@balkanvoice.example")
        expect(page).to_have_url(f"{base}/reseller/")
        shoot(page, "reseller-home.png")
        page.locator(".topnav a[href$='/api-keys/']").click()
        earlier = page.get_by_role("button", name=f"Revoke {API_KEY_NAME}")
        while (live := earlier.count()) > 0:  # one live screenshot key at a time; the earlier ones show as revoked
            earlier.first.click()
            expect(earlier).to_have_count(live - 1)
        page.get_by_label("Name").fill(API_KEY_NAME)
        page.locator("fieldset input[value='licensing:read']").check()
        page.locator("fieldset input[value='audit:read']").check()
        page.get_by_role("button", name="Create key").click()
        expect(page.locator(".secret-value")).to_be_visible()
        shoot(page, "reseller-api-keys.png")
        page.context.close()

        page = new_page(browser, problems)
        sign_in(page, base, "admin@sofiadental.example")
        expect(page).to_have_url(f"{base}/app/")
        shoot(page, "app-home.png")
        pbx_screenshots(page, base)
        page.context.close()

        page = new_page(browser, problems)
        sign_in(page, base, "staff@operator.example")
        expect(page).to_have_url(f"{base}/ops/")
        shoot(page, "ops-home.png")
        ops_pbx_screenshots(page, base)
        page.locator(".topnav a[href$='/audit/']").click()
        shoot(page, "ops-audit.png")
        page.context.close()

        browser.close()
    if problems.messages:
        print("The browser console reported problems:", *problems.messages, sep="\n  ", file=sys.stderr)  # noqa: T201
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
