"""A researcher takes the data away, in a real browser (Debian's Chromium via Playwright):
from the data page to a search, and the search's results downloaded as CSV that a
spreadsheet opens as UTF-8.

Skips, saying why, when Playwright is not installed or /usr/bin/chromium is missing.
"""

import io
import shutil

import pytest
from django.core.management import call_command

from archive.models import Article

from .spec import NARA_CBP

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
        page = browser.new_page(accept_downloads=True)
        page.set_default_timeout(15_000)
        yield page, live_server.url
        browser.close()


def test_from_the_data_page_a_search_downloads_as_csv(browser_page, tmp_path):
    page, base = browser_page
    page.goto(base + "/data/")
    assert page.locator("h1").inner_text() == "Data and downloads"
    page.locator("#search a", has_text="Search, then download").click()
    page.wait_for_url("**/search/")
    page.fill("#site-q", "Wickr")
    page.press("#site-q", "Enter")
    page.wait_for_url("**/search/?q=Wickr")
    with page.expect_download() as info:
        page.locator("p.summary").get_by_role("link", name="CSV", exact=True).click()
    download = info.value
    assert download.suggested_filename == "archive-search.csv"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    data = saved.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf" + b"title,published,publication,source_url,archive_url,")
    text = data.decode("utf-8-sig")
    assert f"/articles/{NARA_CBP}/" in text
