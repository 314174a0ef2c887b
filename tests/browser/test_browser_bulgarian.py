"""The interface in Bulgarian: a Bulgarian user's pages, the language switcher and the sign-in page."""

from __future__ import annotations

import re

import pytest
from pagetext import english_left
from playwright.sync_api import Page, expect

from trunkline.testing.factories import OrganizationFactory, api_key_for, member

pytestmark = pytest.mark.django_db(transaction=True)

# Strings of base.html and the shell's templates that must not survive on a Bulgarian page.
SHELL_ENGLISH = [
    "Skip to content",
    "Home",
    "Members",
    "API keys",
    "Audit trail",
    "API documentation",
    "Main",
    "Language",
    "Change",
    "Organisation",
    "Switch",
    "Signed in as",
    "Password",
    "Email addresses",
    "Two-factor authentication",
    "Sign out",
    "Sign in",
    "More links",
    "Service status",
    "Customer app",
    "optional",
    "Pages",
    "Previous",
    "Next",
]
HOME_ENGLISH = ["Active", "Time zone", "Active API keys", "Recent activity", "See the whole audit trail", "system"]
MEMBERS_ENGLISH = [
    "People who work in this organisation and their roles.",
    "Email",
    "Name",
    "Role",
    "Added",
    "Administrator",
    "Agent",
    "Add a member",
    "A newcomer receives a link to set their own password. Nobody else ever sees it.",
    "First name",
    "Last name",
    "Add member",
    "No members yet.",
]
API_KEYS_ENGLISH = [
    "Keys let your own systems use the API on behalf of this organisation, with only the scopes you choose.",
    "Your new key. Copy it now: it is shown only once.",
    "Copy",
    "Copied",
    "Name",
    "Prefix",
    "Created",
    "Last used",
    "Revoked",
    "Action",
    "Revoke",
    "No keys yet.",
    "Create a key",
    "Scopes",
    "Create key",
]
AUDIT_ENGLISH = [
    "Every change, who made it and when. Entries cannot be edited or deleted.",
    "Action starts with",
    "Filter",
    "Clear",
    "Time",
    "Actor",
    "Action",
    "Object",
    "IP address",
    "Nothing has happened yet.",
    "No entries match this filter.",
]
SIGN_IN_ENGLISH = [
    "Sign In",
    "Use the email address and password of your Trunkline account.",
    "Email address",
    "Email",
    "Remember Me",
    "Keep me signed in on this device",
    "Forgot your password?",
]
ROW_COUNT = re.compile(r"^\d+ реда?$")
SHORT_DATETIME_BG = re.compile(r"^\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}$")


@pytest.fixture
def bulgarian_admin():
    organization = OrganizationFactory(name="Дентален център Витоша", kind="customer", language="bg")
    admin = member(
        organization=organization,
        role="admin",
        first_name="Мария",
        last_name="Иванова",
        language="bg",
        accepted_terms=True,
    )
    member(organization=organization, role="agent", first_name="Петър", last_name="Димитров", language="bg")
    api_key_for(admin, ["audit:read"])
    return admin


def nav_link(page: Page, name: str):
    return page.get_by_role("navigation", name="Основно меню").get_by_role("link", name=name, exact=True)


def expect_column_headers(page: Page, names: list[str]) -> None:
    """The table's column headers, by accessible name (sort arrows are hidden from it), in order."""
    headers = page.get_by_role("columnheader")
    expect(headers).to_have_count(len(names))
    for index, name in enumerate(names):
        expect(headers.nth(index)).to_have_accessible_name(name)


@pytest.mark.browser
def test_bulgarian_user_sees_home_members_api_keys_and_audit_in_bulgarian(page: Page, sign_in_as, bulgarian_admin):
    """A user whose language is Bulgarian sees the surface home, members, API keys and audit pages in Bulgarian."""
    sign_in_as(bulgarian_admin.user)

    page.goto("/app/")
    expect(page.locator("html")).to_have_attribute("lang", "bg")
    expect(page).to_have_title("Начало · Клиентско приложение · Trunkline")
    expect(page.get_by_role("heading", level=1)).to_have_text("Дентален център Витоша")
    expect(page.locator(".surface-name")).to_have_text("Клиентско приложение")
    expect(page.locator(".lead .badge")).to_have_text("Активна")
    expect(page.get_by_role("link", name="2 Членове")).to_be_visible()
    expect(page.get_by_role("link", name="1 Активни API ключове")).to_be_visible()
    expect(page.get_by_role("heading", name="Последна активност")).to_be_visible()
    expect(page.locator(".activity time").first).to_have_text(SHORT_DATETIME_BG)
    for name in ("Начало", "Членове", "API ключове", "Одитен журнал", "API документация"):
        expect(nav_link(page, name)).to_be_visible()
    assert english_left(page, SHELL_ENGLISH + HOME_ENGLISH) == []

    nav_link(page, "Членове").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Членове")
    expect_column_headers(page, ["Имейл", "Име", "Роля", "Дата на добавяне"])
    expect(page.get_by_role("row", name=re.compile("Мария Иванова"))).to_contain_text("Администратор")
    expect(page.get_by_role("row", name=re.compile("Петър Димитров"))).to_contain_text("Агент")
    expect(page.locator(".table-count")).to_have_text("2 реда")
    expect(page.get_by_role("heading", name="Добавяне на член")).to_be_visible()
    expect(page.get_by_label("Име (незадължително)")).to_be_visible()
    expect(page.get_by_role("button", name="Добави член")).to_be_visible()
    assert english_left(page, SHELL_ENGLISH + MEMBERS_ENGLISH) == []

    nav_link(page, "API ключове").click()
    page.get_by_label("Име", exact=True).fill("Склад")
    page.get_by_role("group", name="Права").get_by_role("checkbox", name=re.compile("^audit:read")).check()
    page.get_by_role("button", name="Създай ключ").click()
    expect(page.get_by_role("alert")).to_contain_text("Вашият нов ключ. Копирайте го сега: показва се само веднъж.")
    expect(page.get_by_role("button", name="Копирай")).to_be_visible()
    expect(page.get_by_role("button", name="Отмени Склад")).to_be_visible()
    expect(page.get_by_role("heading", name="Създаване на ключ")).to_be_visible()
    expect_column_headers(page, ["Име", "Префикс", "Дата на създаване", "Последно използван", "Отменен на", "Действие"])
    expect(page.locator(".table-count")).to_have_text("2 реда")
    assert english_left(page, SHELL_ENGLISH + API_KEYS_ENGLISH) == []

    nav_link(page, "Одитен журнал").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Одитен журнал")
    expect_column_headers(page, ["Време", "Извършител", "Действие", "Обект", "IP адрес"])
    expect(page.get_by_label("Действието започва с")).to_be_visible()
    expect(page.get_by_role("button", name="Филтрирай")).to_be_visible()
    expect(page.locator("tbody time").first).to_have_text(SHORT_DATETIME_BG)
    expect(page.locator(".table-count")).to_have_text(ROW_COUNT)
    assert english_left(page, SHELL_ENGLISH + AUDIT_ENGLISH) == []


@pytest.mark.browser
def test_language_switcher_turns_the_page_bulgarian_and_remembers_it(page: Page, sign_in_as):
    """A signed-in person picks Bulgarian in the switcher; the page turns Bulgarian and their profile keeps it."""
    membership = member(kind="reseller", role="admin", language="en")
    sign_in_as(membership.user)
    page.goto("/reseller/members/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Members")

    page.get_by_label("Language").select_option("bg")
    page.get_by_role("button", name="Change").click()

    expect(page).to_have_url(re.compile(r"/reseller/members/$"))
    expect(page.locator("html")).to_have_attribute("lang", "bg")
    expect(page.get_by_role("heading", level=1)).to_have_text("Членове")
    expect(page.get_by_label("Език")).to_have_value("bg")
    expect(nav_link(page, "Членове")).to_have_attribute("aria-current", "page")
    assert english_left(page, SHELL_ENGLISH + MEMBERS_ENGLISH) == []
    membership.user.refresh_from_db()
    assert membership.user.language == "bg"


@pytest.mark.browser
def test_sign_in_page_in_bulgarian_is_entirely_bulgarian(page: Page, live_server):
    """Someone not signed in switches the sign-in page to Bulgarian: our strings and allauth's are all Bulgarian."""
    page.goto("/accounts/login/")
    page.get_by_label("Language").select_option("bg")
    page.get_by_role("button", name="Change").click()

    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "bg")
    expect(page).to_have_title("Вход · Trunkline")
    expect(page.get_by_role("heading", level=1)).to_have_text("Вход")
    expect(page.get_by_label("Имейл адрес")).to_have_attribute("placeholder", "Имейл адрес")
    expect(page.get_by_label("Парола", exact=True)).to_have_attribute("placeholder", "Парола")
    expect(page.get_by_label("Запомни ме на това устройство")).not_to_be_checked()
    expect(page.get_by_role("link", name="Забравена парола?")).to_be_visible()
    expect(page.get_by_role("main").get_by_role("button", name="Вход")).to_be_visible()
    assert english_left(page, SHELL_ENGLISH + SIGN_IN_ENGLISH) == []

    page.get_by_role("main").get_by_role("button", name="Вход").click()
    expect(page.locator(".field-error").first).to_have_text("Това поле е задължително.")
