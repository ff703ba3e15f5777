"""A deterministic synthetic corpus: N articles built from the seed sentences and catalogue.

Streaming: `Corpus.articles(n)` yields one article at a time; nothing holds the whole corpus.

The entities an article is linked to are chosen first (a Zipf-like popularity, ICE the most
common), then written into the text: seed sentences that name exactly one chosen entity,
and template sentences using the entity's name, acronym or an alias. Filler sentences are
seed sentences that name no catalogue entity, so the linker's answer for a generated body is
exactly the union of what it finds in the sentences used (computed once per sentence, with
offsets shifted), i.e. the same Mention rows link_articles would write, at no per-article
regex cost. entity_text is built the way importer._index_entities builds it.
"""

import datetime as dt
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from ..models import Alias, Entity
from ..names.linker import build_linker, entity_names

# Sentence boundary inside a paragraph: end punctuation (optionally a closing quote), space,
# then something that starts a sentence.
_SPLIT = re.compile(r"(?:(?<=[.!?…])|(?<=[.!?…][”\"’)]))\s+(?=[A-Z“\"‘(0-9])")
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")

# Invented words: each appears in a small, known fraction of articles, so rare-word queries
# have few matches (about RARE_RATE * N) and a mid-frequency word about MEDIUM_RATE * N.
RARE_WORDS = ("zorbulax", "quentravix", "moltifrage", "plinderwock", "vastrelind", "gribbonet")
RARE_RATE = 0.0005
MEDIUM_WORD = "kestrelnet"
MEDIUM_RATE = 0.01
RARE_TEMPLATES = (
    "Documents about the {w} programme were withheld in full.",
    "Nobody would say who approved the {w} contract.",
    "The {w} files surfaced only after a records request.",
)

ENTITY_TEMPLATES = (
    "A spokesperson for {n} declined to comment.",
    "Records obtained from {n} show how widely the system was used.",
    "Contracts with {n} were renewed without public notice.",
    "Critics say {n} has never explained where the data came from.",
    "According to internal emails, {n} expanded the program last year.",
)

# Planted best answers (issue 9, item 6): a few articles among the oldest tenth made clearly
# the best answer to PLANTED_QUERY (the word in the title and all through an extra
# paragraph), so the report can show whether relevance reaches them past the newest window.
PLANTED_QUERY = "surveillance"
PLANTED_FRACTIONS = (0.025, 0.05, 0.075)
PLANTED_TITLE = "Surveillance, surveillance everywhere: inside the surveillance machine"
PLANTED_PARAGRAPH = " ".join(
    [
        "The surveillance program grew every year.",
        "Surveillance contracts doubled, and surveillance budgets followed.",
        "Every surveillance request was approved.",
        "Nobody audited the surveillance data.",
    ]
    * 3
)

PUBLICATIONS = (
    ("Techdirt", 30),
    ("The Intercept", 20),
    ("404 Media", 15),
    ("EFF Deeplinks", 12),
    ("Wired", 10),
    ("ProPublica", 8),
    ("The Markup", 5),
)
# Entities ranked by popularity (then catalogue order); weight 1/(rank+1).
POPULAR_FIRST = ("ice", "dhs", "cbp", "hsi", "thomson-reuters", "amazon", "clear")
DATE_FROM, DATE_TO = dt.date(2000, 1, 1), dt.date(2025, 12, 31)


@dataclass
class Sentence:
    text: str
    words: int
    # entity_id -> spans relative to the start of the sentence
    spans: dict[int, list[tuple[int, int]]] = field(default_factory=dict)


@dataclass
class Generated:
    title: str
    slug: str
    body: str
    published: dt.date | None
    publication: str
    source_url: str
    entity_text: str
    mentions: dict[int, list[list[int]]]  # entity_id -> [[start, end], ...] in body


def seed_sentences(seeds_dir: Path | None = None) -> list[str]:
    out = []
    seeds_dir = Path(seeds_dir or settings.SEEDS_DIR)
    for path in sorted(seeds_dir.iterdir()):
        if path.suffix.lower() not in {".txt", ".md", ".markdown"}:
            continue
        text = _PRIVATE_USE.sub("", path.read_text("utf-8"))
        for line in text.splitlines():
            line = line.strip()
            if not line or line.startswith(("#", "---")) or ":" in line[:20] and len(line) < 80:
                continue  # headings and front matter are not prose
            for s in _SPLIT.split(line):
                s = s.strip()
                if len(s.split()) >= 4:
                    out.append(s)
    return out


class Corpus:
    def __init__(self, seed: int = 42, words: int = 600, seeds_dir: Path | None = None):
        self.rng = random.Random(seed)
        self.words = words
        linker = build_linker()
        self.entity_text_names = entity_names()  # id -> "name acronym aliases"
        entities = list(Entity.objects.order_by("id"))
        if not entities:
            raise RuntimeError("The catalogue is empty: import the seeds first.")
        aliases: dict[int, list[str]] = {}
        for a in Alias.objects.order_by("id"):
            aliases.setdefault(a.entity_id, []).append(a.name)

        by_slug = {e.slug: e for e in entities}
        ranked = [by_slug[s] for s in POPULAR_FIRST if s in by_slug]
        ranked += [e for e in entities if e not in ranked]
        self.entity_ids = [e.id for e in ranked]
        self.entity_weights = [1.0 / (r + 1) for r in range(len(ranked))]
        self.short_name = {e.id: e.acronym or e.name for e in entities}

        def sentence(text: str) -> Sentence:
            found = linker.find(text)
            return Sentence(text, len(text.split()), {i: list(f.spans) for i, f in found.items()})

        self.filler: list[Sentence] = []
        self.single: dict[int, list[Sentence]] = {}  # seed sentences naming exactly one entity
        raw = seed_sentences(seeds_dir)
        if not raw:
            raise RuntimeError("No seed sentences to build a corpus from.")
        self.fragments = []
        for text in raw:
            s = sentence(text)
            if not s.spans:
                self.filler.append(s)
            elif len(s.spans) == 1:
                self.single.setdefault(next(iter(s.spans)), []).append(s)
            words_ = re.findall(r"[\w’'-]+", text)
            if len(words_) >= 6:
                self.fragments.append(words_)
        if not self.filler:
            self.filler = [sentence("Nothing further was disclosed about the arrangement.")]
        # Template sentences per entity, for every name it goes by (name, acronym, aliases).
        self.templated: dict[int, list[Sentence]] = {}
        for e in entities:
            names = [e.name] + ([e.acronym] if e.acronym else []) + aliases.get(e.id, [])
            out = []
            for n in dict.fromkeys(names):
                for t in ENTITY_TEMPLATES:
                    s = sentence(t.format(n=n))
                    if set(s.spans) == {e.id}:  # only sentences the linker links to e alone
                        out.append(s)
            self.templated[e.id] = out
        self.rare = [sentence(t.format(w=w)) for w in RARE_WORDS for t in RARE_TEMPLATES]
        self.medium = [sentence(t.format(w=MEDIUM_WORD)) for t in RARE_TEMPLATES]
        self.publications = [p for p, _ in PUBLICATIONS]
        self.publication_weights = [w for _, w in PUBLICATIONS]
        self.days = (DATE_TO - DATE_FROM).days

    # -- one article -------------------------------------------------------------------
    def _entities(self) -> list[int]:
        rng = self.rng
        k = rng.choice((1, 1, 2, 2, 2, 3, 3, 4, 5))
        chosen: list[int] = []
        while len(chosen) < k:
            i = rng.choices(self.entity_ids, self.entity_weights)[0]
            if i not in chosen:
                chosen.append(i)
        return chosen

    def article(self, n: int) -> Generated:
        rng = self.rng
        chosen = self._entities()
        parts: list[Sentence] = []
        for eid in chosen:
            pool_seed = self.single.get(eid, [])
            pool_tmpl = self.templated.get(eid, [])
            for _ in range(rng.choice((1, 1, 2, 3))):
                pool = (
                    pool_seed if pool_seed and (not pool_tmpl or rng.random() < 0.5) else pool_tmpl
                )
                if pool:
                    parts.append(rng.choice(pool))
        for w_index in range(len(RARE_WORDS)):
            if rng.random() < RARE_RATE:
                parts.append(
                    self.rare[w_index * len(RARE_TEMPLATES) + rng.randrange(len(RARE_TEMPLATES))]
                )
        if rng.random() < MEDIUM_RATE:
            parts.append(rng.choice(self.medium))
        total = sum(s.words for s in parts)
        filler = self.filler
        while total < self.words:
            s = filler[rng.randrange(len(filler))]
            parts.append(s)
            total += s.words
        rng.shuffle(parts)

        # Body: ~6 paragraphs (one per line), offsets tracked for the mention spans.
        n_par = max(1, min(6, len(parts)))
        cuts = sorted(rng.sample(range(1, len(parts)), n_par - 1)) if n_par > 1 else []
        chunks: list[str] = []
        mentions: dict[int, list[list[int]]] = {}
        pos = 0
        bounds = set(cuts)
        for i, s in enumerate(parts):
            if i:
                sep = "\n" if i in bounds else " "
                chunks.append(sep)
                pos += 1
            for eid, spans in s.spans.items():
                mentions.setdefault(eid, []).extend([pos + a, pos + b] for a, b in spans)
            chunks.append(s.text)
            pos += len(s.text)
        body = "".join(chunks)

        frag = rng.choice(self.fragments)
        start = rng.randrange(max(1, len(frag) - 5))
        words_ = frag[start : start + rng.randint(4, 9)]
        words_[0] = words_[0][:1].upper() + words_[0][1:]
        title = f"{self.short_name[chosen[0]]}: {' '.join(words_)}"
        published = (
            None
            if rng.random() < 0.005
            else DATE_FROM + dt.timedelta(days=rng.randrange(self.days + 1))
        )
        publication = rng.choices(self.publications, self.publication_weights)[0]
        entity_text = "\n".join(self.entity_text_names.get(i, "") for i in sorted(mentions))
        return Generated(
            title=title[:400],
            slug=f"bench-{n:07d}",
            body=body,
            published=published,
            publication=publication,
            source_url=f"https://example.org/bench/{n}",
            entity_text=entity_text,
            mentions=mentions,
        )

    def articles(self, n: int, start: int = 1):
        planted = set(planted_positions(n)) if start == 1 else set()
        for i in range(start, start + n):
            article = self.article(i)
            yield plant(article) if i in planted else article


def planted_positions(n: int) -> list[int]:
    """Which of n generated articles are planted best answers: all in the oldest tenth."""
    return sorted({max(1, int(n * f)) for f in PLANTED_FRACTIONS})


def planted_slugs(n: int) -> list[str]:
    return [f"bench-{i:07d}" for i in planted_positions(n)]


def plant(a: Generated) -> Generated:
    """The same article, made the best answer to PLANTED_QUERY: the paragraph is appended,
    so the entity mention offsets stay right (and the random sequence is untouched)."""
    a.title = PLANTED_TITLE
    a.body = f"{a.body}\n{PLANTED_PARAGRAPH}"
    return a
