"""A researcher takes the data away, in a real browser (Debian's Chromium via Playwright):
from the data page to a search, and the search's results downloaded as CSV that a
spreadsheet opens as UTF-8.

Skips, saying why, when Playwright is not installed or /usr/bin/chromium is missing.
"""

import pytest

from .chromium import BROWSER_TESTS
from .spec import NARA_CBP

pytestmark = BROWSER_TESTS


@pytest.fixture
def browser_page(chromium):
    browser, base = chromium
    page = browser.new_page(accept_downloads=True)
    page.set_default_timeout(15_000)
    return page, base


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
