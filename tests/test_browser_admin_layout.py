"""Layout in a real browser (Debian's Chromium via Playwright): an editor on a 1280×800
screen sees every change list's key column without scrolling sideways, and a reader on a
phone (390 px) scrolls an entity index's table, never the page.

Each test skips, saying why, when Playwright is not installed or /usr/bin/chromium is missing.
"""

import pytest
from django.contrib.auth import get_user_model

from archive.models import Article, Candidate

from .chromium import BROWSER_TESTS
from .spec import UTILITY

pytestmark = BROWSER_TESTS

PASSWORD = "layout-Password-1"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def browser(chromium):
    """(a function opening a page at a viewport size, the server's address)."""
    launched, base = chromium

    def new_page(viewport):
        page = launched.new_context(viewport=viewport).new_page()
        page.set_default_timeout(15_000)
        return page

    return new_page, base


def _long_candidate() -> None:
    """A pending candidate whose passage is a whole long paragraph (the widest the queue
    shows), so the test sees the list at its widest."""
    article = Article.objects.get(slug=UTILITY)
    Candidate.objects.create(
        name="Acme Utility Data Brokerage Consortium International",
        key="acme utility data brokerage consortium international",
        reason=Candidate.Reason.COMPANY,
        article=article,
        passage=" ".join(article.body.split()[:120]),
    )


# (change list, the header cells an editor must see: the key column first).
CHANGELISTS = [
    ("mention", ["state"]),
    ("candidate", ["passage_short", "state"]),
    ("relationship", ["article_title"]),
    ("article", ["title", "edited_list"]),
    ("alias", ["name", "entity"]),
    ("entity", ["name", "kind", "articles"]),
    ("agency", ["name", "parent", "articles"]),
    ("contractor", ["name", "articles"]),
    ("program", ["name", "status", "articles"]),
    ("organization", ["name", "articles"]),
]

LAYOUT = """(columns) => {
  const right = (el) => el ? Math.round(el.getBoundingClientRect().right) : null;
  return {
    scrollWidth: document.scrollingElement.scrollWidth,
    columns: Object.fromEntries(columns.map((c) => [c, right(document.querySelector(
      `#result_list thead th.column-${c}`))])),
    every: Math.max(...[...document.querySelectorAll("#result_list thead th")].map(right)),
  };
}"""


def test_every_changelist_shows_its_key_columns_at_1280(browser):
    new_page, base = browser
    get_user_model().objects.create_superuser("layout", "layout@example.com", PASSWORD)
    _long_candidate()
    page = new_page(DESKTOP)
    page.goto(base + "/admin/login/")
    page.fill("#id_username", "layout")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(base + "/admin/")
    found = {}
    for model, columns in CHANGELISTS:
        page.goto(f"{base}/admin/archive/{model}/")
        found[model] = page.evaluate(LAYOUT, columns)
    page.goto(f"{base}/admin/archive/mention/")
    for model, columns in CHANGELISTS:
        layout = found[model]
        assert layout["scrollWidth"] <= DESKTOP["width"], (model, layout)
        for column in columns:
            right = layout["columns"][column]
            assert right is not None, f"{model}: no {column} column"
            assert right <= DESKTOP["width"], (model, column, layout)
        assert layout["every"] <= DESKTOP["width"], (model, layout)


@pytest.mark.parametrize("path", ["/agencies/", "/contractors/", "/programs/?sort=-last"])
def test_an_entity_index_fits_a_phone(browser, path):
    new_page, base = browser
    page = new_page(PHONE)
    page.goto(base + path)
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"]
    # The table is reachable: its region scrolls sideways, and takes the keyboard's focus.
    region = page.locator("div.index-scroll[role=region][tabindex='0']")
    assert region.evaluate("(el) => el.scrollWidth > el.clientWidth")
    assert region.get_attribute("aria-label")
