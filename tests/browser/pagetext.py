"""Read what a person sees on a page, to prove that no English string of the templates is left in a translation."""

from __future__ import annotations

import re

from playwright.sync_api import Page

# Every text node of <body> (without <option> and <code>, which hold language names and machine codes), the
# accessible names and hints set in attributes, and the document title.
_VISIBLE_STRINGS = """() => {
  const found = [document.title];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (node.parentElement.closest("option, code, script, style")) continue;
    const text = node.nodeValue.replace(/\\s+/g, " ").trim();
    if (text) found.push(text);
  }
  for (const element of document.body.querySelectorAll("[aria-label], [placeholder], [title]")) {
    for (const name of ["aria-label", "placeholder", "title"]) {
      const value = element.getAttribute(name);
      if (value) found.push(value.trim());
    }
  }
  return found;
}"""


def page_strings(page: Page) -> list[str]:
    return page.evaluate(_VISIBLE_STRINGS)


def english_left(page: Page, english: list[str]) -> list[str]:
    """The strings of ``english`` that the page still shows, whole or as the start of a label ("Time zone: …")."""
    strings = page_strings(page)
    pieces = [piece for text in strings for piece in re.split(r"\s+·\s+", text)]
    return sorted({word for word in english for text in pieces if text == word or text.startswith(f"{word}:")})
