# ruff: noqa: E501  (one sentence per row reads best)
"""Look-alikes: sentences written for this file (not from the seed) whose words resemble
the catalogue's names but name something else, and sentences in the spellings news uses
that must link. Each row: sentence -> the entity slugs it links (a set; usually none).

Linked as an import links them: the catalogue in the database (build_linker) through the
importer's Finder (archive.ingest.linking), which must agree with Linker.find on every row.
"""

import pytest

from archive.ingest.linking import finder
from archive.models import Entity
from archive.names.linker import build_linker

# The catalogue is read from the test database: say so, or a run of only these tests sets
# up no database at all (pytest-django creates those its selected tests ask for).
pytestmark = pytest.mark.django_db

# fmt: off
LOOKALIKES = [
    # Other inspectors general: a title every agency has.
    ("The Pentagon's inspector general found the contract was never audited.", set()),
    ("The Justice Department's Office of the Inspector General opened a review.", {"doj"}),
    ("The Justice Department inspector general, Michael Horowitz, testified on Tuesday.", {"doj"}),
    ("A state inspector general said the prison had ignored the complaints.", set()),
    ("Texas's inspector general reported on Medicaid fraud.", set()),
    ("The Inspector General for the Department of Defense issued a memo.", set()),
    ("The inspector general said the agency had complied.", set()),
    ("An IG report from the Treasury found no wrongdoing.", set()),
    ("The IG declined to comment.", set()),
    ("The OIG at the Department of Labor audited the grants.", set()),
    ("Investigators from the Office of Inspector General at NASA visited the site.", set()),
    ("Inspectors general across the government have warned about the backlog.", set()),
    # State and foreign supreme courts.
    ("The Florida Supreme Court upheld the conviction.", set()),
    ("The New Jersey Supreme Court ruled that the search was unlawful.", set()),
    ("The state Supreme Court has not yet taken up the case.", set()),
    ("An appeal to the state's Supreme Court is expected.", set()),
    ("The Supreme Court of Canada ruled on the warrantless search.", set()),
    ("The Ohio Supreme Court heard arguments on Monday.", set()),
    ("The supreme court of the state will hear the appeal.", set()),
    # Other pilot programs; body cameras as devices.
    ("The city council approved a pilot program for e-scooters.", set()),
    ("The Houston police began a body camera pilot last spring.", set()),
    ("The state's body-worn camera pilot program ended in June.", set()),
    ("Officers must activate their Body Worn Camera before entering a home.", set()),
    ("Body Worn Cameras were issued to every patrol officer.", set()),
    ("The department bought 500 body cameras from a vendor.", set()),
    ("A pilot landed the plane safely in Phoenix.", set()),
    ("The pilot said the delay was caused by ice on the wings.", set()),
    ("The pilot program lets the IRS test new software.", set()),
    # Other agencies' subpoenas and grants.
    ("The FBI issued administrative subpoenas to the phone company.", set()),
    ("The IRS sent an administrative subpoena to the bank.", set()),
    ("A state grant program paid for the cameras.", set()),
    # Fruit, weather and other common words.
    ("She brought an apple pie to the meeting.", set()),
    ("The orchards grow apples for pie fillings.", set()),
    ("Washington's apple orchards had a good year.", set()),
    ("Apples and oranges.", set()),
    ("It was a clear day, and the roads were clear of snow.", set()),
    ("Clear skies are forecast for the weekend.", set()),
    ("The officers were cleared of wrongdoing.", set()),
    ("Crews worked to clear the ice on the road overnight.", set()),
    ("Ice storms knocked out power across the state.", set()),
    ("Police said black ice caused the crash.", set()),
    ("The Raven is a poem by Edgar Allan Poe.", set()),
    ("A raven sat on the fence.", set()),
    ("The farmer bought a new tractor and a trac-loader.", set()),
    ("Investigators track the shipments.", set()),
    ("She tried to google the address.", set()),
    ("The amazon parrot is native to South America.", set()),
    ("A trust stamp was applied to the document.", set()),
    ("The maxi skirt is back in fashion.", set()),
    ("He works in systems engineering solutions for a bank.", set()),  # a company's name is a brand
    ("The Securities Exchange in Tokyo closed early.", set()),
    ("Customs officers and border protection staff met.", set()),
    ("The CBD oil shop opened downtown.", set()),
    ("The nsa reading on the meter was low.", set()),
    ("The DMVs of three states.", set()),
    ("Sec. 702 of the act expires soon.", set()),
    ("Western union members marched.", set()),
    ("Four points technology upgrades were planned.", set()),
]

# What the rules cannot tell apart, written down so that a change is seen: a capitalised
# common word is a one-word name; an acronym in capitals is the acronym.
KNOWN_LIMITS = [
    # "In case of emergency": another acronym spelled ICE, and "ICE contacts with local
    # police" is the agency's, so the following word cannot tell them apart.
    ("Put an ICE contact in your phone before the hike.", {"ice"}),
    # The glacial age typed in capitals: "ICE age determinations" are the agency's.
    ("Scientists dated the ICE age layers.", {"ice"}),
]

# An acronym that spells an ordinary word, typed in capitals before the word that makes its
# everyday compound: the word (linker.WORD_COMPOUNDS). The agency's own phrases still link.
COMPOUNDS = [
    ("The kids wanted ICE cream after the game.", set()),
    ("ICE CREAM SOCIAL THIS FRIDAY. ICE skating follows.", set()),
    ("Drop two ICE cubes in the glass.", set()),
    ("The town's ICE-skating rink reopened.", set()),
    # Words that are also verbs, or the agency's own phrases, leave ICE the agency.
    ("ICE picks up 200 people in raids.", {"ice"}),
    ("ICE Storms Apartment Complex At Dawn", {"ice"}),
    ("ICE age determinations for minors were wrong.", {"ice"}),
    ("Critics called it an ICE fishing expedition.", {"ice"}),
    ("ICE packs detainees into tents.", {"ice"}),
    ("ICE agents waited outside the ICE cream shop.", {"ice"}),  # the agents are ICE's
    ("ICE detention numbers rose in May.", {"ice"}),
    ("An ICE official, speaking of the cold, said nothing more.", {"ice"}),
    ("CLEAR skies are forecast for the weekend.", set()),
]

# A company's one-word name opening a sentence, and a name inside another body's name: read
# from the words around it (the linker's resolve step), in the whole text, as the importer's
# Finder reads it too.
AROUND = [
    ("Apple orchards in Washington had a good year.", set()),  # the fruit, capitalised
    ("Apple growers expect a record harvest.", set()),
    ("Amazon rainforest fires are burning again.", set()),
    ("“Apple picking season is here,” she said.", set()),
    ("Apple said it would comply with the order.", {"apple"}),  # the company acting
    ("Amazon declined to comment.", {"amazon"}),
    ("Equifax sells credit header data to agencies.", {"equifax"}),
    ("Reuters reported the contract first.", {"thomson-reuters"}),
    ("Google, Microsoft and Amazon sell cloud services to ICE.", {"google", "microsoft", "amazon", "ice"}),
    ("Apple pie was served. Later, Apple announced a new phone.", {"apple"}),  # named as a company too
    ("The Reuters Institute published a report.", set()),  # another body's name
    ("A grant from the Google Foundation paid for it.", set()),
    ("She studied at the Amazon Center for Tropical Research.", set()),
    ("Microsoft Research published the paper.", {"microsoft"}),  # not an organisation's head word
    # A supreme court (or an attorney general) after a place's name or its people's is theirs.
    ("India's Supreme Court struck down the law.", set()),
    ("The Canadian Supreme Court heard the appeal.", set()),
    ("Florida’s Supreme Court upheld the sentence.", set()),
    ("Brazil's Supreme Court ordered the platform blocked.", set()),
    ("The U.S. Supreme Court declined the case.", {"supreme-court"}),
    ("America's Supreme Court has never ruled on it.", {"supreme-court"}),
    ("Trump's Supreme Court picks were confirmed.", {"supreme-court"}),
]

POSITIVES = [
    # "the pilot", in a text that names the ICE camera pilot otherwise.
    ("The ICE body camera pilot began in May. The pilot ends in November.", {"ice", "body-worn-camera-pilot"}),
    # The spellings news uses for entities the catalogue has.
    ("Immigration and Customs Enforcement agents arrested him.", {"ice"}),
    ("U.S. Immigration and Customs Enforcement said in a statement.", {"ice"}),
    ("Officials at Immigration & Customs Enforcement declined to comment.", {"ice"}),
    ("U.S. Customs and Border Protection seized the phones.", {"cbp"}),
    ("Customs and Border Protection officers searched the car.", {"cbp"}),
    ("Homeland Security Investigations opened a case.", {"hsi"}),
    ("The Department of Homeland Security issued guidance.", {"dhs"}),
    ("The Homeland Security Department issued guidance.", {"dhs"}),
    ("Amazon Web Services hosts the database.", {"amazon"}),
    ("The data sits on AWS servers.", {"amazon"}),
    ("Amazon.com sells the cameras.", {"amazon"}),
    ("Thomson Reuters sells CLEAR to police.", {"thomson-reuters", "clear"}),
    ("Reuters’ CLEAR product was used.", {"thomson-reuters", "clear"}),
    ("The Justice Department announced grants.", {"doj"}),
    ("The Department of Justice announced grants.", {"doj"}),
    ("The Bureau of Alcohol, Tobacco, Firearms, and Explosives tested cameras.", {"atf"}),
    ("The Supreme Court ruled against the government.", {"supreme-court"}),
    ("The Supreme Court’s ruling stands.", {"supreme-court"}),
    ("The Supreme Court of the United States declined to hear it.", {"supreme-court"}),
    ("SCOTUS declined the case.", {"supreme-court"}),
    ("The 11th Circuit Court of Appeals heard the case.", {"eleventh-circuit"}),
    ("The Department of Homeland Security's Office of Inspector General found mold.", {"dhs-oig"}),
    ("The DHS Office of Inspector General found mold.", {"dhs-oig"}),
    ("The DHS Inspector General found mold. The inspector general recommended relocation.", {"dhs-oig"}),
    ("DHS OIG inspectors visited; the OIG said the IG's findings stand.", {"dhs-oig"}),
    ("The DHS IG report. In response, ICE attacked the Office of Inspector General.", {"dhs-oig", "ice"}),
    ("The ICE pilot program began in Houston.", {"ice", "body-worn-camera-pilot"}),
    ("The ICE body camera pilot program will expand; the pilot program runs six months.", {"ice", "body-worn-camera-pilot"}),
    ("Western Union and Maxitransfers Corporation received summonses.", {"western-union", "maxitransfers"}),
    ("Apple’s App Store removed the app.", {"apple"}),
    ("Google, Microsoft and Amazon sell cloud services to CBP.", {"google", "microsoft", "amazon", "cbp"}),
    ("RAVEn (Repository for Analytics in a Virtualized Environment) replaces the old system.", {"raven"}),
    ("The Transaction Record Analysis Center (TRAC) holds the records.", {"trac"}),
    ("The National Archives and Records Administration wrote to CBP.", {"nara", "cbp"}),
    ("The Government Accountability Office found gaps.", {"gao"}),
    ("The Consumer Financial Protection Bureau fined Equifax.", {"cfpb", "equifax"}),
    ("The state Departments of Motor Vehicles share photos.", {"dmv"}),
]
# fmt: on


@pytest.fixture(scope="module")
def importer_linker(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        linker = build_linker()
        slugs = dict(Entity.objects.values_list("id", "slug"))
    return linker, finder(linker), slugs


def _linked(importer_linker, text: str) -> set[str]:
    linker, fast, slugs = importer_linker
    whole = linker.find(text)
    found = fast.find(text)
    # The importer's Finder and the linker agree, span for span.
    assert {k: (f.spans, f.count) for k, f in found.items()} == {
        k: (f.spans, f.count) for k, f in whole.items()
    }
    return {slugs[k] for k in found}


@pytest.mark.parametrize("text, expected", LOOKALIKES, ids=[t[:50] for t, _ in LOOKALIKES])
def test_lookalike_links_nothing_wrong(importer_linker, text, expected):
    assert _linked(importer_linker, text) == expected


@pytest.mark.parametrize("text, expected", POSITIVES, ids=[t[:50] for t, _ in POSITIVES])
def test_news_spelling_links(importer_linker, text, expected):
    assert _linked(importer_linker, text) == expected


@pytest.mark.parametrize("text, expected", COMPOUNDS, ids=[t[:50] for t, _ in COMPOUNDS])
def test_an_acronym_that_spells_a_word(importer_linker, text, expected):
    assert _linked(importer_linker, text) == expected


@pytest.mark.parametrize("text, expected", KNOWN_LIMITS, ids=[t[:50] for t, _ in KNOWN_LIMITS])
def test_known_limits(importer_linker, text, expected):
    assert _linked(importer_linker, text) == expected


def test_corpus_size():
    assert len(LOOKALIKES) >= 50 and len(POSITIVES) >= 30


@pytest.mark.parametrize("text, expected", AROUND, ids=[t[:50] for t, _ in AROUND])
def test_the_words_around_a_name(importer_linker, text, expected):
    assert _linked(importer_linker, text) == expected


# Articles written by someone else, who never saw the rules (tests/data/discovery_blind*.md,
# also used to measure discovery): they link the catalogue's entities they name and nothing
# else (their look-alikes: "Fourth Amendment", a "Senate Judiciary Committee", place names).
BLIND_LINKS = [
    ("discovery_blind1.md", {"supreme-court", "congress", "ice"}),
    ("discovery_blind2.md", {"ice", "hsi"}),
    ("discovery_heldout.md", {"amazon"}),  # "Ring, the doorbell maker owned by Amazon"
]


@pytest.mark.parametrize("name, expected", BLIND_LINKS)
def test_articles_written_by_someone_else_link_right(importer_linker, name, expected):
    from pathlib import Path

    from archive.ingest.readers import read_markdown

    body = read_markdown(Path(__file__).parent / "data" / name)[0].body
    assert _linked(importer_linker, body) == expected
