# ruff: noqa: E501  (the tables quote the seed text and its URLs verbatim)
"""The seed import, as a specification.

Every expected value below was written from the seed text (seeds/000_bfd58ad0cbd93c3f.txt)
and from the article facts table the seed came with (recorded in fixtures/articles.json), not
from what the importer happens to produce. The shared names and paths come from tests/spec.py.
"""

import datetime as dt
import hashlib
import io
import json
import re
import shutil
from pathlib import Path
from typing import NamedTuple

import pytest
from django.core.management import CommandError, call_command

from archive.ingest import importer
from archive.models import (
    Alias,
    Article,
    Candidate,
    Entity,
    EntityRedirect,
    Mention,
    ProgramStatus,
    Relationship,
)

from .spec import (
    BIGTECH,
    BODYCAM,
    DEPORTED,
    ENTITIES,
    FACIAL,
    HSI_SPLIT,
    NARA_CBP,
    REPORT,
    SEED_FILE,
    SEED_NAME,
    SEED_ORDER,
    TORRANCE,
    UTILITY,
    WYDEN,
)

DATA = Path(__file__).parent / "data"


# ---------------------------------------------------------------------------------------------
# The ten articles, from the seed's article facts table. Article 5's date, address and dept
# are unknown: blank.
# ---------------------------------------------------------------------------------------------
class SeedArticle(NamedTuple):
    """One article of the seed: its slug, its first and last line in the seed file, the words
    it starts with, and the facts the importer must store."""

    slug: str
    first_line: int
    last_line: int
    starts_with: str
    title: str
    published: dt.date | None
    source_url: str
    dept: str


SEED_ARTICLES = [
    SeedArticle(
        FACIAL,
        1,
        9,
        "It’s not just the private sector leaking data",
        "ICE Facial Recognition Contractor Leaks A Whole Bunch Of Personal Data",
        dt.date(2022, 5, 27),
        "https://www.techdirt.com/2022/05/27/ice-facial-recognition-contractor-leaks-a-whole-bunch-of-personal-data/",
        "hey-it's-just-other-people's-data-so-what's-the-big-deal",
    ),
    SeedArticle(
        REPORT,
        10,
        30,
        "Immigration and Customs Enforcement (ICE) has long made its own case for abolishment",
        "Report Shows ICE’s Massive Surveillance Apparatus Is All Up In Americans’ Everything",
        dt.date(2022, 5, 20),
        "https://www.techdirt.com/2022/05/20/report-shows-ices-massive-surveillance-apparatus-is-all-up-in-americans-everything/",
        "high-tech-thugging",
    ),
    SeedArticle(
        NARA_CBP,
        31,
        40,
        "When the National Archives and Records Administration (NARA) was established in 1934",
        "National Archive Wants To Know Why CBP Is Using Messaging Services That Auto-Delete Messages",
        dt.date(2022, 4, 14),
        "https://www.techdirt.com/2022/04/14/national-archive-wants-to-know-why-cbp-is-using-messaging-services-that-auto-delete-messages/",
        "pretty-much-the-opposite-of-retention",
    ),
    SeedArticle(
        TORRANCE,
        41,
        63,
        "ICE has never really cared about the people it detains",
        "ICE’s ‘Fierce Commitment’ To Ensuring Detainees Are Cared For Properly Includes "
        "Inadequate Staffing, Unsanitary Facilities",
        dt.date(2022, 3, 25),
        "https://www.techdirt.com/2022/03/25/ices-fierce-commitment-to-ensuring-detainees-are-cared-for-properly-includes-inadequate-staffing-unsanitary-facilities/",
        "inhumane",
    ),
    SeedArticle(
        WYDEN,
        64,
        81,
        "ICE wants data and doesn’t care how it gets it.",
        "Senator Ron Wyden Catches ICE Illegally Collecting Americans’ Financial Data",
        None,
        "",
        "",
    ),
    SeedArticle(
        HSI_SPLIT,
        82,
        92,
        "Federal agents from Homeland Security Investigations say they have been kicked out",
        "ICE Is So Toxic That The DHS's Investigative Wing Is Asking To Be Completely Separated From It",
        dt.date(2022, 1, 1),
        "https://archive.techdirt.com/articles/20220101/12014048213/ice-is-so-toxic-that-dhss-investigative-wing-is-asking-to-be-completely-separated-it.shtml",
        "annul-this-arranged-marriage-please",
    ),
    SeedArticle(
        BODYCAM,
        93,
        113,
        "Following protests over killings by law enforcement officers",
        "DHS, ICE Begin Body Camera Pilot Program With Surprisingly Good Policies In Place",
        dt.date(2021, 12, 30),
        "https://www.techdirt.com/2021/12/30/dhs-ice-begin-body-camera-pilot-program-with-surprisingly-good-policies-place/",
        "exceeding-admittedly-low-expectations",
    ),
    SeedArticle(
        UTILITY,
        114,
        126,
        "Another one of ICE’s (Immigration and Customs Enforcement) data spigots has been shut off.",
        "ICE Loses Access To Sensitive Utility Customer Records Following Pressure By Senator Ron Wyden",
        dt.date(2021, 12, 13),
        "https://www.techdirt.com/2021/12/13/ice-loses-access-to-sensitive-utility-customer-records-following-pressure-senator-ron-wyden/",
        "and-now-we'll-wait-for-the-law-enforcement-pushback",
    ),
    SeedArticle(
        BIGTECH,
        127,
        142,
        "A few years ago, tech companies stood up to the US government",
        "Google, Amazon, And Microsoft Are Using Third Party Companies To Sell Surveillance Tech "
        "To ICE, CBP",
        dt.date(2021, 10, 9),
        "https://www.techdirt.com/articles/20211009/10260647722/google-amazon-microsoft-are-using-third-party-companies-to-sell-surveillance-tech-to-ice-cbp.shtml",
        "same-as-it-ever-was",
    ),
    SeedArticle(
        DEPORTED,
        143,
        164,
        "Under president Donald Trump, ICE went from barely tolerable to fascist stormtroopery",
        "Man Who Was Ejected From The United States After Appearing In A Film Critical Of ICE "
        "Asks Court To Roll Back Removal",
        dt.date(2021, 8, 31),
        "https://www.techdirt.com/2021/08/31/man-who-was-ejected-united-states-after-appearing-film-critical-ice-asks-court-to-roll-back-removal/",
        "ICE,-however,-is-still-the-'worst-of-the-worst'",
    ),
]
# The ten articles as parameters, one per test, named by their number and slug.
SEED_ARTICLE_PARAMS = [
    pytest.param(row, id=f"{n}-{row.slug}") for n, row in enumerate(SEED_ARTICLES, 1)
]

SUMMARY_KEYS = (
    "articles_created",
    "articles_updated",
    "articles_unchanged",
    "mentions_total",
    "entities_total",
    "new_candidates",
)


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------
def run_json(*args) -> dict:
    buf = io.StringIO()
    call_command("import_seeds", "--json", *args, stdout=buf)
    return json.loads(buf.getvalue())


def run_plain(*args) -> str:
    buf = io.StringIO()
    call_command("import_seeds", *args, stdout=buf)
    return buf.getvalue()


def snapshot() -> dict:
    """Everything an import writes, in a comparable form."""
    return {
        "articles": sorted(
            Article.objects.values_list(
                "slug",
                "title",
                "body",
                "published",
                "publication",
                "source_url",
                "dept",
                "seed_file",
                "seed_line",
                "content_hash",
                "entity_text",
            )
        ),
        "entities": sorted(
            Entity.objects.values_list("slug", "kind", "name", "acronym", "description")
        ),
        "aliases": sorted(Alias.objects.values_list("entity__slug", "name", "case_sensitive")),
        "mentions": sorted(
            (m.article.slug, m.entity.slug, m.count, json.dumps(m.spans), m.origin, m.state)
            for m in Mention.objects.select_related("article", "entity")
        ),
        "relationships": sorted(
            Relationship.objects.values_list(
                "subject__slug", "kind", "object__slug", "article__slug"
            )
        ),
        "statuses": sorted(ProgramStatus.objects.values_list("program__slug", "status", "year")),
        "candidates": sorted(Candidate.objects.values_list("key", "state")),
    }


def empty_database():
    Article.objects.all().delete()
    Candidate.objects.all().delete()
    EntityRedirect.objects.all().delete()
    Entity.objects.all().delete()
    assert not Article.objects.exists() and not Entity.objects.exists()
    assert not Mention.objects.exists() and not Alias.objects.exists()


def seed_lines() -> list[str]:
    return SEED_FILE.read_text(encoding="utf-8").split("\n")


# ---------------------------------------------------------------------------------------------
# The ten articles
# ---------------------------------------------------------------------------------------------
def test_the_seed_holds_exactly_ten_articles(seeded):
    assert sorted(Article.objects.values_list("slug", flat=True)) == sorted(SEED_ORDER)


@pytest.mark.parametrize("article", SEED_ARTICLE_PARAMS)
def test_article_facts(seeded, article):
    a = Article.objects.get(slug=article.slug)
    assert a.title == article.title
    assert a.published == article.published
    assert a.source_url == article.source_url
    assert a.dept == article.dept
    assert a.publication == "Techdirt"
    assert a.seed_file == SEED_NAME
    assert a.seed_line == article.first_line
    assert a.content_hash == hashlib.sha256(a.body.encode()).hexdigest()


@pytest.mark.parametrize("article", SEED_ARTICLE_PARAMS)
def test_article_body_is_its_lines_of_the_file(seeded, article):
    a = Article.objects.get(slug=article.slug)
    assert a.body.startswith(article.starts_with)
    n = SEED_ARTICLES.index(article)
    if n + 1 < len(SEED_ARTICLES):
        next_words = SEED_ARTICLES[n + 1].starts_with
        assert next_words not in a.body
    # One paragraph per line of the file, the article's lines exactly.
    assert len(a.paragraphs) == article.last_line - article.first_line + 1
    assert a.paragraphs == seed_lines()[article.first_line - 1 : article.last_line]


def test_articles_cover_the_whole_file_without_gaps(seeded):
    lines = [x for x in seed_lines() if x.strip()]
    assert len(lines) == 164
    assert SEED_ARTICLES[-1].last_line == 164
    for this, following in zip(SEED_ARTICLES, SEED_ARTICLES[1:], strict=False):
        assert following.first_line == this.last_line + 1
    # The imported articles, in file order, hold every line of the file once.
    imported = Article.objects.filter(seed_file=SEED_NAME).order_by("seed_line")
    assert [p for a in imported for p in a.paragraphs] == lines


@pytest.mark.parametrize(
    "slug, note_mentions",
    [
        (WYDEN, "unknown"),
        (HSI_SPLIT, "archive address"),
        (BIGTECH, "address"),
    ],
)
def test_uncertain_facts_carry_a_note(seeded, slug, note_mentions):
    assert note_mentions in Article.objects.get(slug=slug).facts_note


# ---------------------------------------------------------------------------------------------
# Summary output
# ---------------------------------------------------------------------------------------------
def test_reimport_changes_nothing(seeded):
    before = snapshot()
    summary = run_json()
    assert summary["changed"] is False
    assert summary["articles_unchanged"] == 10
    assert summary.get("articles_created", 0) == 0
    assert summary.get("articles_updated", 0) == 0
    changed = {
        k: v for k, v in summary.items() if re.search(r"_(created|updated|removed)$", k) and v
    }
    assert changed == {}
    assert summary["new_candidates"] == []
    assert snapshot() == before


def test_reimport_plain_output_says_no_changes(seeded):
    out = run_plain()
    assert "No changes" in out
    assert "10 unchanged" in out


def test_plain_output_ends_with_a_summary(seeded):
    out = run_plain().lower()
    for words in ("articles", "created", "updated", "unchanged", "mentions", "entities"):
        assert words in out
    lines = [x for x in out.splitlines() if x.strip()]
    assert lines[-1].startswith("no changes")
    assert any(x.startswith("articles: 0 created, 0 updated, 10 unchanged") for x in lines)


@pytest.mark.parametrize("first_import", [False, True], ids=["reimport", "first-import"])
def test_json_summary_always_has_the_documented_keys(seeded, first_import):
    if first_import:
        empty_database()
    summary = run_json()
    assert [k for k in SUMMARY_KEYS if k not in summary] == []


def test_json_summary_totals(seeded):
    summary = run_json()
    assert summary["entities_total"] == Entity.objects.count() == len(ENTITIES)
    assert summary["mentions_total"] == Mention.objects.visible().count()
    assert isinstance(summary["new_candidates"], list)


def test_first_import_reports_what_it_created(seeded):
    empty_database()
    summary = run_json()
    assert summary["changed"] is True
    assert summary["articles_created"] == 10
    assert summary.get("articles_updated", 0) == summary.get("articles_unchanged", 0) == 0
    assert summary["entities_total"] == Entity.objects.count()
    assert summary["mentions_total"] == Mention.objects.count() > 0
    # The seed names two organisations (by their context) the catalogue lacks.
    assert {c["name"] for c in summary["new_candidates"]} == {
        "Broward Transitional Center",
        "Sundance Institute",
    }


# ---------------------------------------------------------------------------------------------
# Dry run
# ---------------------------------------------------------------------------------------------
def test_dry_run_on_an_empty_database_writes_nothing(seeded):
    empty_database()
    before = snapshot()
    summary = run_json("--dry-run")
    assert summary["dry_run"] is True
    assert summary["articles_created"] == 10
    assert summary["entities_total"] > 0  # counted inside the rolled-back transaction
    assert snapshot() == before
    assert Article.objects.count() == Entity.objects.count() == Mention.objects.count() == 0
    assert "nothing was written" in run_plain("--dry-run")
    assert Article.objects.count() == 0


# ---------------------------------------------------------------------------------------------
# Atomicity: a failure half-way leaves the database exactly as it was
# ---------------------------------------------------------------------------------------------
class Boom(Exception):
    pass


def fail_after(monkeypatch, name: str, calls: int):
    original = getattr(importer, name)
    seen = {"n": 0}

    def wrapper(*args, **kwargs):
        seen["n"] += 1
        if seen["n"] > calls:
            raise Boom(f"{name} failed on call {seen['n']}")
        return original(*args, **kwargs)

    monkeypatch.setattr(importer, name, wrapper)
    return seen


# Where an import may fail: writing an article (store_article is called once for each
# article with work to do: all ten on an empty database, the two changed ones after
# modify_seed), linking them in bulk, storing candidates.
FAILURES = [
    pytest.param("store_article", 0, id="first-store_article"),
    pytest.param("store_article", 5, id="sixth-store_article"),
    pytest.param("store_article", 9, id="last-store_article"),
    pytest.param("link_articles", 0, id="link_articles"),
    pytest.param("find_candidates", 0, id="find_candidates"),
]
FAILURES_ON_CHANGE = [
    pytest.param("store_article", 0, id="first-store_article"),
    pytest.param("store_article", 1, id="second-store_article"),
    pytest.param("link_articles", 0, id="link_articles"),
    pytest.param("find_candidates", 0, id="find_candidates"),
]


@pytest.mark.parametrize("name, calls", FAILURES)
def test_failure_on_an_empty_database_leaves_it_empty(seeded, monkeypatch, name, calls):
    empty_database()
    before = snapshot()
    seen = fail_after(monkeypatch, name, calls)
    with pytest.raises(Boom):
        call_command("import_seeds", stdout=io.StringIO())
    assert seen["n"] == calls + 1
    assert snapshot() == before
    for model in (Article, Entity, Alias, Mention, Relationship, ProgramStatus, Candidate):
        assert model.objects.count() == 0, model.__name__


def modify_seed(workdir: Path) -> None:
    """Change two articles (3 and 10) in the private copy of the seed."""
    path = workdir / "seeds" / SEED_NAME
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[39] += " Microsoft declined to comment."  # line 40, the end of article 3
    lines[163] += " Reuters declined to comment."  # line 164, the end of article 10
    path.write_text("\n".join(lines), encoding="utf-8")


@pytest.mark.parametrize("name, calls", FAILURES_ON_CHANGE)
def test_failure_on_the_seeded_database_changes_nothing(seeded, workdir, monkeypatch, name, calls):
    modify_seed(workdir)
    before = snapshot()
    fail_after(monkeypatch, name, calls)
    with pytest.raises(Boom):
        call_command("import_seeds", stdout=io.StringIO())
    assert snapshot() == before


def test_the_modified_seed_does_update_when_nothing_fails(seeded, workdir):
    """Proves the failure tests above would have seen a change."""
    modify_seed(workdir)
    summary = run_json()
    assert summary["articles_updated"] == 2
    assert summary["articles_unchanged"] == 8
    assert summary.get("articles_created", 0) == 0
    a3 = Article.objects.get(slug=NARA_CBP)
    assert a3.body.endswith("Microsoft declined to comment.")
    assert a3.mentions.filter(entity__slug="microsoft").exists()
    a10 = Article.objects.get(slug=DEPORTED)
    assert a10.mentions.filter(entity__slug="thomson-reuters").exists()
    assert run_json()["changed"] is False


# ---------------------------------------------------------------------------------------------
# Bad input: one line naming the file and the line or article; the database untouched
# ---------------------------------------------------------------------------------------------
def _edit_seed(workdir, edit):
    path = workdir / "seeds" / SEED_NAME
    lines = path.read_text(encoding="utf-8").split("\n")
    edit(lines)
    path.write_text("\n".join(lines), encoding="utf-8")


def _edit_manifest(workdir, edit):
    path = workdir / "fixtures" / "articles.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    edit(data["seeds"][SEED_NAME])
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


def _write_md(workdir, text, name="bad.md"):
    (workdir / "seeds" / name).write_text(text, encoding="utf-8")


def case_missing_path(workdir):
    return [str(workdir / "seeds" / "nope.txt")]


def case_non_utf8_line_3(workdir):
    path = workdir / "seeds" / SEED_NAME
    data = path.read_bytes().split(b"\n")
    data[2] = data[2].replace(b"anonymous", b"anonym\xffous")
    path.write_bytes(b"\n".join(data))
    return []


def anchor(index: int, starts_with: str):
    """A case: the manifest says article `index + 1` starts with these words."""

    def case(workdir):
        _edit_manifest(workdir, lambda entries: entries[index].update(starts_with=starts_with))
        return []

    return case


# Not in the text at all.
case_anchor_not_found = anchor(3, "ICE has never really cared about the animals it detains")
# Article 6's starting words point at article 5's first line: article 5 would be empty.
case_two_anchors_on_one_line = anchor(5, "ICE wants data and doesn’t care")


def case_anchor_found_twice(workdir):
    _edit_seed(workdir, lambda lines: lines.append(lines[40]))  # line 41 again, as line 165
    return []


def case_file_not_in_manifest(workdir):
    shutil.copy(workdir / "seeds" / SEED_NAME, workdir / "seeds" / "001_unknown.txt")
    return []


def case_manifest_not_json(workdir):
    path = workdir / "fixtures" / "articles.json"
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[5].endswith(",")
    lines[5] = lines[5].rstrip(",")  # line 6 loses its comma: JSON fails where line 7 starts
    path.write_text("\n".join(lines), encoding="utf-8")
    return []


GOOD_MD_BLOCK = (
    "---\ntitle: A Good Article\npublished: 2023-01-02\n---\n\nICE bought another database.\n\n"
)


def bad_markdown(block: str):
    """A case: a good Markdown article, then `block`, in seeds/bad.md (its line 8)."""

    def case(workdir):
        _write_md(workdir, GOOD_MD_BLOCK + block)
        return []

    return case


def bad_md(block: str, *says: str, id: str):
    """A row: `block` after a good Markdown article; the message names bad.md line 8."""
    return pytest.param(bad_markdown(block), "bad.md", ["bad.md:8:", *says], id=id)


# (case, the file the message must name, what else it must say)
# fmt: off
BAD_INPUT = [
    bad_md("---\ntitle: Link\nsource_url: javascript:alert(1)\n---\n\nText.\n", "http(s)", id="md-script-url"),
    bad_md("---\ntitle: Slug\nslug: not a slug\n---\n\nText.\n", "slug", id="md-bad-slug"),
    bad_md(f"---\ntitle: {'x' * 401}\n---\n\nText.\n", "400", id="md-long-title"),
    pytest.param(case_missing_path, "nope.txt", [], id="missing-path"),
    pytest.param(case_non_utf8_line_3, SEED_NAME, [f"{SEED_NAME}:3:", "UTF-8"], id="non-utf8-line-3"),
    pytest.param(case_anchor_not_found, SEED_NAME, ["article 4", TORRANCE, "not found"], id="anchor-not-found"),
    pytest.param(case_anchor_found_twice, SEED_NAME, ["article 4", "41", "165"], id="anchor-twice"),
    pytest.param(case_two_anchors_on_one_line, SEED_NAME, [f"{SEED_NAME}:64:", "article 6"], id="empty-article-plain"),
    pytest.param(case_file_not_in_manifest, "001_unknown.txt", ["manifest"], id="not-in-manifest"),
    pytest.param(case_manifest_not_json, "articles.json", ["articles.json:7:", "invalid JSON"], id="manifest-bad-json"),
    bad_md("---\npublished: 2023-01-03\n---\n\nNo title here.\n", "title", id="md-missing-title"),
    bad_md("---\ntitle: Bad Date\npublished: 2023-13-45\n---\n\nText.\n", "2023-13-45", id="md-bad-date"),
    bad_md("---\ntitle: Never Closed\npublished: 2023-01-03\n", id="md-unterminated"),
    bad_md("---\ntitle: Empty\n---\n\n---\ntitle: After\n---\n\nText.\n", "empty", id="md-empty-article"),
]
# fmt: on


@pytest.mark.parametrize("make_case, file_named, says", BAD_INPUT)
def test_bad_input_is_one_clear_error_and_changes_nothing(
    seeded, workdir, make_case, file_named, says
):
    args = make_case(workdir)
    before = snapshot()
    with pytest.raises(CommandError) as exc:
        call_command("import_seeds", *args, stdout=io.StringIO())
    message = str(exc.value)
    assert "\n" not in message.strip()
    assert file_named in message
    for text in says:
        assert text in message
    if make_case not in (case_missing_path, case_file_not_in_manifest):
        # A line number or an article number locates the problem.
        assert re.search(r":\d+:|article \d+", message), message
    assert snapshot() == before


@pytest.mark.parametrize("make_case, file_named, says", BAD_INPUT)
def test_bad_input_on_an_empty_database_writes_nothing(
    seeded, workdir, make_case, file_named, says
):
    empty_database()
    args = make_case(workdir)
    with pytest.raises(CommandError):
        call_command("import_seeds", *args, stdout=io.StringIO())
    assert Article.objects.count() == Entity.objects.count() == 0


# ---------------------------------------------------------------------------------------------
# New material in Markdown
# ---------------------------------------------------------------------------------------------
NEW_MD = DATA / "new_material.md"


class MarkdownArticle(NamedTuple):
    """An article of tests/data/new_material.md, as its front matter gives it."""

    slug: str
    first_line: int
    title: str
    published: dt.date
    source_url: str


MD_ARTICLES = [
    MarkdownArticle(
        "cbp-buys-face-scanners-from-a-company-nobody-has-heard-of",
        1,
        "CBP Buys Face Scanners From A Company Nobody Has Heard Of",
        dt.date(2023, 2, 14),
        "https://example.org/2023/02/14/cbp-buys-face-scanners/",
    ),
    MarkdownArticle(
        "the-border-analytics-program-nobody-voted-for",
        14,
        "The Border Analytics Program Nobody Voted For",
        dt.date(2023, 3, 1),
        "https://example.org/2023/03/01/border-analytics-program/",
    ),
]


def test_markdown_material_imports_two_articles(seeded):
    summary = run_json(str(NEW_MD))
    assert summary["articles_created"] == 2
    assert summary["files"] == ["new_material.md"]
    for article in MD_ARTICLES:
        a = Article.objects.get(slug=article.slug)
        assert (a.title, a.published, a.source_url, a.publication) == (
            article.title,
            article.published,
            article.source_url,
            "Example Watchdog",
        )
        assert (a.seed_file, a.seed_line) == ("new_material.md", article.first_line)
        assert len(a.paragraphs) == 2
    # Soft-wrapped lines join into one paragraph.
    first = Article.objects.get(slug=MD_ARTICLES[0].slug)
    assert first.paragraphs[0].startswith("U.S. Customs and Border Protection has signed")
    assert first.paragraphs[0].endswith("stored on Amazon Web Services.")
    assert Article.objects.count() == 12


@pytest.mark.parametrize(
    "article, entity, spans",
    [
        (0, "cbp", ["U.S. Customs and Border Protection"]),
        (0, "amazon", ["Amazon Web Services"]),
        (0, "ice", ["ICE"]),  # ICE’s
        (1, "ice", ["ICE", "ICE"]),  # "feed ICE", "ICE’s lawyers" — never "thin ice"
    ],
)
def test_markdown_material_links_known_entities(seeded, article, entity, spans):
    run_json(str(NEW_MD))
    a = Article.objects.get(slug=MD_ARTICLES[article].slug)
    m = a.mentions.get(entity__slug=entity)
    assert [a.body[s:e] for s, e in m.spans] == spans
    assert m.count == len(spans)


@pytest.mark.parametrize("entity", ["clear", "trac", "dhs", "thomson-reuters"])
def test_markdown_material_does_not_link_lower_case_words(seeded, entity):
    """“in the clear”, “track”, “tracks”, “thin ice” name nothing."""
    run_json(str(NEW_MD))
    assert not Mention.objects.filter(
        article__seed_file="new_material.md", entity__slug=entity
    ).exists()
    assert set(
        Mention.objects.filter(article__seed_file="new_material.md").values_list(
            "entity__slug", flat=True
        )
    ) == {"cbp", "amazon", "ice"}


def test_markdown_material_suggests_its_unknown_names(seeded):
    summary = run_json(str(NEW_MD))
    new = {(c["name"], c["acronym"], c["article"]) for c in summary["new_candidates"]}
    assert new == {
        ("Acme Biometrics, Inc.", "", MD_ARTICLES[0].slug),
        ("Border Analytics Program", "BAP", MD_ARTICLES[1].slug),
    }
    acme = Candidate.objects.get(name="Acme Biometrics, Inc.")
    assert (acme.reason, acme.suggested_kind, acme.state) == ("company", "contractor", "pending")
    bap = Candidate.objects.get(acronym="BAP")
    assert (bap.reason, bap.suggested_kind) == ("definition", "program")
    assert "Border Analytics Program (BAP)" in bap.passage


def test_markdown_material_twice_changes_nothing(seeded):
    run_json(str(NEW_MD))
    before = snapshot()
    again = run_json(str(NEW_MD))
    assert again["changed"] is False
    assert again["articles_unchanged"] == 2
    assert again.get("articles_created", 0) == again.get("articles_updated", 0) == 0
    assert again["new_candidates"] == []
    assert snapshot() == before
    assert "No changes" in run_plain(str(NEW_MD))


def test_markdown_material_leaves_the_seed_articles_alone(seeded):
    before = {a.slug: (a.content_hash, a.entity_text) for a in Article.objects.all()}
    run_json(str(NEW_MD))
    after = {
        a.slug: (a.content_hash, a.entity_text) for a in Article.objects.filter(slug__in=SEED_ORDER)
    }
    assert after == before
