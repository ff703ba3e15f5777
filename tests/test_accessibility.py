"""Every page passes axe (axe-core, from npm: `npm ci`, which `make test` runs) in Chromium:
the public pages a journalist reads and the admin pages an editor works in, with no
violation at all. Skips, saying why, without Chromium, Playwright or axe-core."""

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from archive.models import Article, Candidate, Entity, Mention, Program

from .chromium import BROWSER_TESTS
from .spec import ROOT, UTILITY, WYDEN, article_url

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
pytestmark = [
    *BROWSER_TESTS,
    pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed (npm ci)"),
]
PASSWORD = "axe-Check-2026-pass"


def public_pages():
    return [
        "/",
        "/search/?q=ICE",
        "/search/?q=%22facial+recognition%22&agency=ice",
        "/search/?q=zzzzqqq",
        article_url(UTILITY),
        "/agencies/",
        "/agencies/ice/",
        "/agencies/ice/?year=2021",
        "/contractors/thomson-reuters/",
        "/programs/clear/",
        "/search/help/",
        "/search/?q=ICE&agency=hsi&agency=cbp&published_after=2020-01-01",  # chips, OR-ed
        "/search/?published_after=2022-01-01&published_before=2021-01-01",  # reversed dates
        article_url(WYDEN),  # undated, no address
        "/contractors/",
        "/programs/",
        "/organizations/",
        "/agencies/?sort=-first",
        "/organizations/eff/",
        "/map/",
        "/map/?entity=ice",
        "/timeline/",
        "/data/",
        "/no-such-page/",
    ]


def admin_pages():
    ice = Entity.objects.get(slug="ice")
    return [
        "/admin/",
        f"/admin/archive/article/{Article.objects.get(slug=UTILITY).pk}/change/",
        "/admin/archive/mention/",
        f"/admin/archive/mention/{Mention.objects.first().pk}/change/",
        "/admin/archive/candidate/",
        f"/admin/archive/candidate/{Candidate.objects.first().pk}/change/"
        if Candidate.objects.exists()
        else "/admin/archive/candidate/add/",
        f"/admin/archive/agency/{ice.pk}/change/",
        f"/admin/archive/program/{Program.objects.first().pk}/change/",
        "/admin/archive/relationship/",
        "/admin/archive/alias/",
        "/admin/archive/article/",
        "/admin/archive/agency/",
        "/admin/archive/contractor/",
        "/admin/archive/program/",
        "/admin/archive/organization/",
    ]


@pytest.fixture
def axe_page(chromium):
    browser, base = chromium
    # axe is injected as a script: the test browser lets it past the site's CSP.
    page = browser.new_context(bypass_csp=True).new_page()
    page.set_default_timeout(20_000)
    return page, base


def violations(page, url: str) -> list:
    page.goto(url)
    page.add_script_tag(content=Path(AXE).read_text())
    return page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => `${v.id} (${v.impact}): ${v.nodes.length}, e.g. ${v.nodes[0].target}`)"
    )


# Every public page type in both colour schemes, on a desktop and on a phone.
SCREENS = [("light", 1280), ("dark", 1280), ("light", 390), ("dark", 390)]


@pytest.mark.parametrize("scheme, width", SCREENS)
def test_public_pages_pass_axe(axe_page, scheme, width):
    page, base = axe_page
    page.emulate_media(color_scheme=scheme)
    page.set_viewport_size({"width": width, "height": 900})
    found = {url: violations(page, base + url) for url in public_pages()}
    assert {url: v for url, v in found.items() if v} == {}


def test_admin_pages_pass_axe(axe_page):
    page, base = axe_page
    get_user_model().objects.create_superuser("axe", "axe@example.com", PASSWORD)
    assert violations(page, base + "/admin/login/") == []
    page.fill("#id_username", "axe")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(base + "/admin/")
    found = {url: violations(page, base + url) for url in admin_pages()}
    assert {url: v for url, v in found.items() if v} == {}
