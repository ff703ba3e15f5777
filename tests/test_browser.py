"""A journalist's path through the archive in a real browser (Debian's Chromium via
Playwright): search, follow a mention to an entity, and from there to its articles.

Each test skips, saying why, when Playwright is not installed or /usr/bin/chromium is missing.
"""

import io
import shutil

import pytest
from django.core.management import call_command

from archive.models import Article

from .spec import NARA_CBP, UTILITY, WYDEN, article_url

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason=f"no Chromium at {CHROMIUM}"),
]

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser_page(live_server, transactional_db, monkeypatch):
    playwright = pytest.importorskip(
        "playwright.sync_api", reason="Playwright is not installed (pip install -e '.[dev]')"
    )
    # Playwright's sync API runs an event loop; Django's ORM refuses to run inside one.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    if not Article.objects.exists():  # an earlier live-server test flushed the database
        call_command("import_seeds", verbosity=0, stdout=io.StringIO())

    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        page.set_default_timeout(15_000)
        yield page, live_server.url
        browser.close()


def test_search_follow_mention_to_entity_and_back(browser_page):
    page, base = browser_page
    page.goto(base + "/")
    page.fill("#home-q", "Wickr")
    page.press("#home-q", "Enter")
    page.wait_for_url("**/search/?q=Wickr")
    first = page.locator("ol.hits li.hit h2 a").first
    assert first.get_attribute("href") == article_url(NARA_CBP)
    assert "National Archive" in first.inner_text()
    assert page.locator("ol.hits mark").first.inner_text() == "Wickr"
    first.click()
    # In the article text, each mention links to its entity page.
    page.locator("a.mention", has_text="CBP").first.click()
    page.wait_for_url("**/agencies/cbp/")
    assert page.locator("h1").inner_text().startswith("U.S. Customs and Border Protection")
    page.locator(".named-in h3 a").first.click()
    page.locator("a.mention", has_text="ICE").first.click()
    page.wait_for_url("**/agencies/ice/")
    assert page.locator(".named-in").count() == 10


def test_facet_filter_and_clear_page(browser_page):
    page, base = browser_page
    page.goto(base + "/search/?q=data")
    total_before = page.locator("ol.hits li.hit").count()
    page.locator(".facets a", has_text="CLEAR").click()
    page.wait_for_url("**program=clear**")
    slugs = {a.get_attribute("href") for a in page.locator("ol.hits li.hit h2 a").all()}
    assert slugs == {article_url(WYDEN), article_url(UTILITY)}
    assert total_before > len(slugs)
    page.goto(base + "/programs/clear/")
    assert page.locator(".named-in").count() == 2


def _luminance(rgb: str) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(v) for v in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3])
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def _contrast(fg: str, bg: str) -> float:
    hi, lo = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("scheme, dark", [("light", False), ("dark", True)])
def test_the_pages_follow_the_systems_colour_scheme(browser_page, scheme, dark):
    """Dark mode when the system asks for it, and readable text (WCAG AA, 4.5:1) either way:
    body text, muted text and links on the page background."""
    page, base = browser_page
    page.emulate_media(color_scheme=scheme)
    page.goto(base + article_url(UTILITY))
    style = "(s) => [getComputedStyle(s).color, getComputedStyle(document.body).backgroundColor]"
    fg, bg = page.eval_on_selector("body", style)
    assert (_luminance(bg) < 0.1) == dark
    for selector in ("body", ".meta", "a.mention"):
        color, _ = page.eval_on_selector(selector, style)
        assert _contrast(color, bg) >= 4.5, (scheme, selector, color, bg)
