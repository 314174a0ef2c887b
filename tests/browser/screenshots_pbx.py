"""Only the PBX screenshots (customer panel, business hours, voice assets, back office), from a running server with
demo data: ``.venv/bin/python tests/browser/screenshots_pbx.py [--base-url URL]``."""

from __future__ import annotations

import argparse
import sys

from chromium import ConsoleProblems, launch
from playwright.sync_api import expect, sync_playwright
from screenshots import OUT, new_page, ops_pbx_screenshots, pbx_screenshots, sign_in


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
        pbx_screenshots(page, base)
        page.context.close()
        page = new_page(browser, problems)
        sign_in(page, base, "staff@operator.example")
        expect(page).to_have_url(f"{base}/ops/")
        ops_pbx_screenshots(page, base)
        page.context.close()
        browser.close()
    if problems.messages:
        print("The browser console reported problems:", *problems.messages, sep="\n  ", file=sys.stderr)  # noqa: T201
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
