"""Citing what the archive holds: every article page says how to cite it (Chicago, APA,
MLA) and offers BibTeX, RIS and CSL-JSON; Highwire `citation_*` tags let Zotero save it in
one click; paragraphs have their own links; crawlers get a sitemap and robots.txt.

The expected values are the facts fixtures/articles.json holds (from ARTICLES.md); a fact
it leaves blank never appears.
"""

import datetime as dt
import json

import pytest
from django.test import override_settings

from archive.models import Article

from .markup import get_page
from .spec import ARTICLES, ENTITIES, WYDEN, article_url, entity_url

HOST = "http://testserver"
PUBLICATION = "Techdirt"
LONG = {a["slug"]: dt.date.fromisoformat(a["published"]) for a in ARTICLES if a["published"]}


def meta(page, name: str) -> str | None:
    tag = page.tag.find("meta", attrs={"name": name}) or page.tag.find(
        "meta", attrs={"property": name}
    )
    return tag["content"] if tag else None


def _chicago_date(d):
    return f"{d:%B} {d.day}, {d.year}"


@pytest.mark.parametrize("article", ARTICLES, ids=lambda a: a["slug"][:40])
def test_the_page_carries_what_a_reference_manager_reads(client, seeded, article):
    page = get_page(client, article_url(article["slug"]))
    own = HOST + article_url(article["slug"])
    assert meta(page, "citation_title") == article["title"]
    assert meta(page, "citation_journal_title") == PUBLICATION
    assert meta(page, "og:title") == article["title"]
    assert meta(page, "og:type") == "article"
    assert page.tag.find("link", rel="canonical")["href"] == own
    assert meta(page, "citation_fulltext_html_url") == own
    published = LONG.get(article["slug"])
    if published:
        assert meta(page, "citation_publication_date") == f"{published:%Y/%m/%d}"
        assert meta(page, "article:published_time") == published.isoformat()
    else:  # never invented
        assert meta(page, "citation_publication_date") is None
        assert meta(page, "article:published_time") is None
    assert meta(page, "citation_public_url") == (article["source_url"] or None)


@pytest.mark.parametrize("article", ARTICLES, ids=lambda a: a["slug"][:40])
def test_the_cite_box_gives_three_styles_from_the_known_facts(client, seeded, article):
    page = get_page(client, article_url(article["slug"]))
    styles = dict(
        (p.one("strong").text, p.one(".citation").text)
        for p in page.select("details.cite p")
        if p.select(".citation")
    )
    assert set(styles) == {"Chicago", "APA", "MLA"}
    own = HOST + article_url(article["slug"])
    published = LONG.get(article["slug"])
    for style, text in styles.items():
        assert article["title"] in text, style
        assert PUBLICATION in text, style
        assert own.removeprefix("https://") in text, style  # the archive's permanent copy
        if article["source_url"]:
            assert article["source_url"].removeprefix("https://") in text, style
    if published:
        assert _chicago_date(published) in styles["Chicago"]
        assert f"({published.year}, {published:%B} {published.day})" in styles["APA"]
        assert f"{published.day} " in styles["MLA"] and str(published.year) in styles["MLA"]
    else:
        assert "n.d." in styles["Chicago"] and "(n.d.)" in styles["APA"]
    # and for print: the Chicago form, shown only on paper
    assert page.one(".print-only").text == f"Cite as: {styles['Chicago']}"


@pytest.mark.parametrize(
    "fmt, content_type, first_line",
    [
        ("bib", "application/x-bibtex", "@article{"),
        ("ris", "application/x-research-info-systems", "TY  - NEWS"),
        ("json", "application/vnd.citationstyles.csl+json", "["),
    ],
)
@pytest.mark.parametrize("article", ARTICLES, ids=lambda a: a["slug"][:40])
def test_citation_downloads(client, seeded, article, fmt, content_type, first_line):
    response = client.get(f"{article_url(article['slug'])}cite.{fmt}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)
    assert response["Content-Disposition"] == f'attachment; filename="{article["slug"]}.{fmt}"'
    text = response.content.decode()
    assert text.startswith(first_line)
    published = LONG.get(article["slug"])
    if fmt == "json":
        [item] = json.loads(text)
        assert item["title"] == article["title"]
        assert item["container-title"] == PUBLICATION
        assert item.get("issued") == (
            {"date-parts": [[published.year, published.month, published.day]]}
            if published
            else None
        )
        assert item["URL"] == (article["source_url"] or HOST + article_url(article["slug"]))
    elif fmt == "ris":
        lines = text.split("\r\n")
        assert lines[-2] == "ER  - " and lines[-1] == ""
        assert f"TI  - {article['title']}" in lines
        assert any(line.startswith("DA  - ") for line in lines) == bool(published)
        if published:
            assert f"DA  - {published:%Y/%m/%d}" in lines
    else:
        assert text.count("{") == text.count("}")
        assert ("date = {" in text) == bool(published)
        if published:
            assert f"date = {{{published.isoformat()}}}" in text


@pytest.mark.parametrize(
    "title, escaped",
    [
        ("Costs 50% & more", r"Costs 50\% \& more"),
        ("A {brace} and a } stray", r"A \{brace\} and a \} stray"),
        (r"\input{/etc/passwd} $x$ #1 a_b", r"\textbackslash{}input\{/etc/passwd\} \$x\$ \#1 a\_b"),
    ],
)
def test_bibtex_reads_a_title_as_text(client, seeded, title, escaped):
    Article.objects.filter(slug=WYDEN).update(title=title)
    text = client.get(f"{article_url(WYDEN)}cite.bib").content.decode()
    assert f"title = {{{escaped}}}" in text
    assert text.count("{") - text.count(r"\{") == text.count("}") - text.count(r"\}")


def test_an_unknown_format_or_article_is_not_found(client, seeded):
    assert client.get(f"{article_url(WYDEN)}cite.docx").status_code == 404
    assert client.get("/articles/no-such-article/cite.bib").status_code == 404


@pytest.mark.parametrize("article", ARTICLES[:3], ids=lambda a: a["slug"][:40])
def test_every_paragraph_has_its_own_link(client, seeded, article):
    page = get_page(client, article_url(article["slug"]))
    paragraphs = page.select(".body .para")
    assert paragraphs
    for n, para in enumerate(paragraphs, 1):
        link = para.one("a.para-link")
        assert link.attr("href") == f"#p-{n}"
        assert link.text == f"¶{n}"
        assert para.one(f"p#p-{n}")


# -- crawlers ------------------------------------------------------------------------------
def test_the_sitemap_lists_every_article_and_entity(client, seeded):
    index = client.get("/sitemap.xml").content.decode()
    for section in ("pages", "articles", "entities"):
        assert f"{HOST}/sitemap-{section}.xml" in index
    articles = client.get("/sitemap-articles.xml").content.decode()
    for a in ARTICLES:
        assert f"<loc>{HOST}{article_url(a['slug'])}</loc>" in articles
    entities = client.get("/sitemap-entities.xml").content.decode()
    for e in ENTITIES:
        assert f"<loc>{HOST}{entity_url(e['slug'])}</loc>" in entities


def test_robots_txt_points_at_the_sitemap_and_away_from_the_admin(client, seeded, settings):
    lines = client.get("/robots.txt").content.decode().splitlines()
    assert f"Sitemap: {HOST}/sitemap.xml" in lines
    assert f"Disallow: /{settings.ADMIN_URL}" in lines


def test_the_favicon_answers(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b"<svg")


@override_settings(DEBUG=False, ALLOWED_HOSTS=["testserver"])
@pytest.mark.parametrize(
    "url, says",
    [
        ("/no-such-page/", "There is nothing at this address."),
        (
            "/articles/no-such-article/",
            "There is nothing at this address. No article with that address.",
        ),
    ],
)
def test_the_404_page_says_why_in_words(client, seeded, url, says):
    text = get_page(client, url, status=404).one("main p").text
    assert text == says
    assert "Resolver404" not in text and "tried" not in text and ".." not in text
