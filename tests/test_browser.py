"""A journalist's path through the archive in a real browser (Debian's Chromium via
Playwright): search, follow a mention to an entity, and from there to its articles.

Each test skips, saying why, when Playwright is not installed or /usr/bin/chromium is missing.
"""

import pytest

from .chromium import BROWSER_TESTS
from .spec import NARA_CBP, UTILITY, WYDEN, article_url

pytestmark = BROWSER_TESTS


@pytest.fixture
def browser_page(chromium):
    browser, base = chromium
    page = browser.new_page()
    page.set_default_timeout(15_000)
    return page, base


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


@pytest.mark.parametrize(
    "url, facet",
    [
        ("/search/?agency=ice", "DHS"),
        ("/search/?q=ICE&agency=hsi", "CBP"),
        ("/search/?q=ICE", "CLEAR"),
    ],
)
def test_a_facet_number_is_what_a_click_gives(browser_page, url, facet):
    """The report: on ?agency=ice the sidebar said "DHS 3" and a click gave 10 results."""
    page, base = browser_page
    page.goto(base + url)
    item = page.locator(".facets li", has=page.get_by_role("link", name=facet, exact=True))
    number = int(item.locator(".n").inner_text())
    item.get_by_role("link", name=facet, exact=True).click()
    page.wait_for_load_state()
    summary = page.locator("p.summary").inner_text()
    assert f"of {number} article" in summary, (url, facet, number, summary)


def _overflow(page) -> int:
    return page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")


PHONE_PAGES = [
    "/",
    "/search/?q=ICE&agency=ice",
    article_url(UTILITY),
    "/agencies/ice/",
    "/agencies/",
]


@pytest.mark.parametrize("width", [360, 390])
@pytest.mark.parametrize("url", PHONE_PAGES)
def test_phone_pages_fit_the_screen(browser_page, url, width):
    page, base = browser_page
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(base + url)
    assert _overflow(page) <= 0, (url, width)
    # The sections of the site are one line (it scrolls sideways), not three.
    nav = page.locator("header.site nav").bounding_box()
    link = page.locator("header.site nav a").first.bounding_box()
    assert nav["height"] < 2 * link["height"], nav


def test_on_a_phone_the_filters_come_first_and_folded(browser_page):
    page, base = browser_page
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(base + "/search/?q=ICE")
    panel = page.locator("details.filter-panel")
    first_hit = page.locator("ol.hits li.hit").first
    assert panel.bounding_box()["y"] < first_hit.bounding_box()["y"]
    assert panel.get_attribute("open") is None
    assert not page.locator(".facets .facet-agency").is_visible()
    panel.locator("> summary").click()
    assert page.locator(".facets .facet-agency").is_visible()
    page.locator(".facets a", has_text="CLEAR").click()
    page.wait_for_url("**program=clear**")
    assert page.locator("ol.hits li.hit").count() == 2


def test_on_a_desktop_the_filters_sit_beside_the_results(browser_page):
    page, base = browser_page
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(base + "/search/?q=ICE")
    assert page.locator("details.filter-panel").get_attribute("open") is not None
    assert not page.locator("details.filter-panel > summary").is_visible()
    facets = page.locator(".facets .facet-agency").bounding_box()
    first_hit = page.locator("ol.hits li.hit").first.bounding_box()
    assert facets["x"] > first_hit["x"] + first_hit["width"] - 1
    assert facets["y"] < first_hit["y"] + first_hit["height"]


def test_on_a_phone_an_articles_entities_come_before_its_text_folded(browser_page):
    page, base = browser_page
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(base + article_url(UTILITY))
    panel = page.locator("details.entity-panel")
    assert panel.bounding_box()["y"] < page.locator("#p-1").bounding_box()["y"]
    assert panel.get_attribute("open") is None
    panel.locator("> summary").click()
    page.locator(".entity-panel a", has_text="Thomson Reuters").first.click()
    page.wait_for_url("**/contractors/thomson-reuters/")


def test_citing_an_article_and_a_paragraph(browser_page, tmp_path):
    """A journalist opens "Cite this article", reads a style, downloads BibTeX, and links a
    paragraph; a passage on an entity page opens that paragraph."""
    page, base = browser_page
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(base + article_url(UTILITY))
    box = page.locator("details#cite")
    box.locator("summary").click()
    chicago = box.locator("p", has_text="Chicago").locator(".citation").inner_text()
    assert "Techdirt" in chicago and "ICE Loses Access" in chicago
    with page.expect_download() as info:
        box.get_by_role("link", name="BibTeX").click()
    saved = tmp_path / "cite.bib"
    info.value.save_as(saved)
    assert saved.read_text(encoding="utf-8").startswith("@")
    # Each paragraph has a visible link to itself.
    page.locator("a.para-link", has_text="¶3").click()
    assert page.url.endswith("#p-3")
    assert page.evaluate("getComputedStyle(document.querySelector('#p-3')).backgroundColor") != (
        page.evaluate("getComputedStyle(document.querySelector('#p-2')).backgroundColor")
    )
    # A passage on an entity page cites its paragraph.
    page.goto(base + "/programs/clear/")
    page.locator(".named-in .passage a.goto").first.click()
    assert "/articles/" in page.url and "#p-" in page.url


@pytest.mark.parametrize("width", [1280, 390])
def test_without_javascript_the_filters_and_entities_are_there(browser_page, width):
    """The script only folds panels on a phone: with it off, every filter and an article's
    entities can still be read and clicked, on a desktop and on a phone."""
    page, base = browser_page
    context = page.context.browser.new_context(
        java_script_enabled=False, viewport={"width": width, "height": 900}
    )
    bare = context.new_page()
    bare.goto(base + "/search/?q=ICE")
    assert bare.locator(".facets .facet-agency").is_visible()
    bare.locator(".facets a", has_text="CLEAR").click()
    bare.wait_for_url("**program=clear**")
    assert bare.locator("ol.hits li.hit").count() == 2
    bare.goto(base + article_url(UTILITY))
    assert bare.locator(".entity-panel a", has_text="Thomson Reuters").first.is_visible()
    context.close()
