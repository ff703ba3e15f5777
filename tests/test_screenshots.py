"""The README's pictures of the site are taken here, by the browser: the search page, an
article and an entity page, on a desktop and on a phone. Every run takes them (so a page that
no longer renders fails here); `make screenshots` (SCREENSHOTS=update) writes them to
docs/screenshots/, where the README shows them, so they are of the current site."""

import io
import os
import shutil

import pytest
from django.core.management import call_command

from archive.models import Article

from .spec import ROOT, UTILITY, article_url

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason=f"no Chromium at {CHROMIUM}"),
]
FOLDER = ROOT / "docs" / "screenshots"

# name -> (address, viewport width): the pictures README.md shows.
SHOTS = {
    "search": ("/search/?q=ICE+facial+recognition", 1280),
    "article": (article_url(UTILITY), 1280),
    "entity": ("/contractors/thomson-reuters/", 1280),
    "search-phone": ("/search/?q=ICE", 390),
}


def test_readme_shows_every_screenshot():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in SHOTS:
        assert f"docs/screenshots/{name}.png" in readme, name
        assert (FOLDER / f"{name}.png").exists(), f"run `make screenshots` for {name}"


def test_take_the_screenshots(live_server, transactional_db, monkeypatch, tmp_path):
    playwright = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    if not Article.objects.exists():
        call_command("import_seeds", verbosity=0, stdout=io.StringIO())
    folder = FOLDER if os.environ.get("SCREENSHOTS") == "update" else tmp_path
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        for name, (url, width) in SHOTS.items():
            page = browser.new_page(viewport={"width": width, "height": 900})
            response = page.goto(live_server.url + url)
            assert response.status == 200, url
            page.screenshot(path=str(folder / f"{name}.png"))  # the first screenful
            assert (folder / f"{name}.png").stat().st_size > 10_000, name
            page.close()
        browser.close()
