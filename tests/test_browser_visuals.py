"""The relationship map and the timeline in a real browser (Debian's Chromium via
Playwright): a reader narrows the map to one entity, clicks a line and lands on the quote
that states it, then on its article; on a phone's width the timeline fits the screen.

Each test skips, saying why, when Playwright is not installed or /usr/bin/chromium is missing.
"""

import io
import shutil

import pytest
from django.core.management import call_command

from archive.models import Article, Relationship

from .spec import article_url

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason=f"no Chromium at {CHROMIUM}"),
]

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]


@pytest.fixture
def live_seed(live_server, transactional_db):
    if not Article.objects.exists():  # an earlier live-server test flushed the database
        call_command("import_seeds", verbosity=0, stdout=io.StringIO())
    return live_server.url


@pytest.fixture
def sells_clear(live_seed):
    """Thomson Reuters sells CLEAR to ICE: the relationship, its quote and its article's
    address, read before the browser starts (the test's own database connection, which
    the live server's teardown closes; one opened under Playwright's loop stays open)."""
    rel = Relationship.objects.select_related("article").get(
        subject__slug="thomson-reuters", kind="sells_to"
    )
    return rel.pk, rel.quote, article_url(rel.article.slug)


@pytest.fixture
def browser(live_seed, monkeypatch):
    playwright = pytest.importorskip(
        "playwright.sync_api", reason="Playwright is not installed (pip install -e '.[dev]')"
    )
    # Playwright's sync API runs an event loop; Django's ORM refuses to run inside one.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium, live_seed
        chromium.close()


# Where on the screen a line of the map is: a point on its curve (half way along), so the
# click lands on the line itself, not on the middle of its bounding box.
POINT_ON_EDGE = """(a) => {
  const path = a.querySelector('path');
  const p = path.getPointAtLength(path.getTotalLength() / 2);
  const m = path.getScreenCTM();
  return [p.x * m.a + p.y * m.c + m.e, p.x * m.b + p.y * m.d + m.f];
}"""


def test_filter_the_map_click_a_line_read_its_quote_and_article(sells_clear, browser):
    pk, quote, article = sells_clear
    chromium, base = browser
    page = chromium.new_page(viewport={"width": 1200, "height": 900})
    page.set_default_timeout(15_000)
    page.goto(base + "/map/")
    page.select_option("#map-entity", "thomson-reuters")
    page.click("form.map-filters button[type=submit]")
    page.wait_for_url("**/map/?*entity=thomson-reuters*")
    assert page.locator("h1").inner_text() == "Relationship map: Thomson Reuters"
    # Thomson Reuters sells CLEAR to ICE: that line, clicked where it is drawn.
    edge = page.locator(f'svg.graph-links a.edge[data-relationship="{pk}"]')
    x, y = edge.evaluate(POINT_ON_EDGE)
    page.mouse.click(x, y)
    page.wait_for_url(f"**#rel-{pk}")
    row = page.locator(f"tr#rel-{pk}")
    assert row.evaluate("(tr) => tr.matches(':target')")
    assert quote[:50] in row.locator("td.quote").inner_text()
    assert "$21 million a year" in row.inner_text()
    row.locator("td a", has_text="Wyden").click()
    page.wait_for_url(f"**{article}#p-*")
    assert quote[:40] in page.locator(".body :target").inner_text()


def test_a_node_opens_its_entity_page(browser):
    chromium, base = browser
    page = chromium.new_page(viewport={"width": 1200, "height": 900})
    page.goto(base + "/map/?entity=wickr")
    page.locator('svg.graph-links a.node[data-entity="amazon"]').click()
    page.wait_for_url("**/contractors/amazon/")


@pytest.mark.parametrize("url", ["/timeline/", "/map/", "/map/?entity=ice"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_nothing_overflows_a_phone_s_width(browser, url, scheme):
    chromium, base = browser
    page = chromium.new_page(viewport={"width": 390, "height": 844}, color_scheme=scheme)
    page.goto(base + url)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    # The pictures shrink to the screen, and are still drawn.
    box = page.locator("svg").first.bounding_box()
    assert 0 < box["width"] <= 390
