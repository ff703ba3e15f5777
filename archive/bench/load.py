"""Streaming bulk load of a generated corpus, with load rate and memory checkpoints."""

import resource
import time
from dataclasses import dataclass, field

from django.db import connection, transaction

from ..models import Article, Mention
from .corpus import Corpus

CHECKPOINTS = (0.10, 0.25, 0.50, 0.75, 1.00)
MENTION_CHUNK = 100


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        import os

        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError):
        return float("nan")


@dataclass
class Checkpoint:
    fraction: float
    articles: int
    seconds: float
    rate: float  # articles/s over the whole load so far
    interval_rate: float  # articles/s since the previous checkpoint
    peak_rss_mb: float
    rss_mb: float


@dataclass
class LoadResult:
    articles: int = 0
    mentions: int = 0
    seconds: float = 0.0  # wall clock: generate + insert + commit
    generate_seconds: float = 0.0
    insert_seconds: float = 0.0  # bulk_create + commit (includes the index triggers / tsvector)
    checkpoints: list[Checkpoint] = field(default_factory=list)
    post_steps: dict[str, float] = field(default_factory=dict)  # name -> seconds
    pragmas: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.articles / self.seconds if self.seconds else 0.0

    @property
    def insert_rate(self) -> float:
        return self.articles / self.insert_seconds if self.insert_seconds else 0.0


def sqlite_load_pragmas() -> list[str]:
    # Bench database only: nobody else uses it, and a crash just means rerunning.
    pragmas = ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=OFF"]
    with connection.cursor() as cur:
        for p in pragmas:
            cur.execute(p)
    return pragmas


def load(corpus: Corpus, n: int, batch: int = 2000, progress=None) -> LoadResult:
    result = LoadResult()
    if connection.vendor == "sqlite":
        result.pragmas = sqlite_load_pragmas()
    targets = sorted({max(1, round(n * f)) for f in CHECKPOINTS})
    fractions = {max(1, round(n * f)): f for f in CHECKPOINTS}
    t0 = time.perf_counter()
    last_t, last_n = t0, 0
    done = 0
    gen = corpus.articles(n)
    # Mentions are inserted in whole chunks of MENTION_CHUNK rows (the rest waits for the next
    # batch): statements of one fixed shape. A different row count per batch would compile a
    # new ~1,000-parameter INSERT each time, and sqlite3's statement cache (128 entries)
    # keeps them all, so memory would grow with every batch for reasons unrelated to search.
    pending: list[Mention] = []
    while done < n:
        size = min(batch, n - done)
        g0 = time.perf_counter()
        items = [next(gen) for _ in range(size)]
        articles = [
            Article(
                title=a.title,
                slug=a.slug,
                body=a.body,
                published=a.published,
                publication=a.publication,
                source_url=a.source_url,
                entity_text=a.entity_text,
                seed_file="bench",
            )
            for a in items
        ]
        i0 = time.perf_counter()
        with transaction.atomic():
            Article.objects.bulk_create(articles)
            pending += [
                Mention(article_id=art.pk, entity_id=eid, count=len(spans), spans=spans)
                for art, a in zip(articles, items, strict=True)
                for eid, spans in a.mentions.items()
            ]
            last_batch = done + size >= n
            cut = len(pending) if last_batch else len(pending) - len(pending) % MENTION_CHUNK
            Mention.objects.bulk_create(pending[:cut], batch_size=MENTION_CHUNK)
            result.mentions += cut
            pending = pending[cut:]
        i1 = time.perf_counter()
        result.generate_seconds += i0 - g0
        result.insert_seconds += i1 - i0
        done += size
        del items, articles
        if targets and done >= targets[0]:
            while targets and done >= targets[0]:
                target = targets.pop(0)  # one checkpoint for all the fractions this batch crossed
            now = time.perf_counter()
            cp = Checkpoint(
                fraction=fractions[target],
                articles=done,
                seconds=now - t0,
                rate=done / (now - t0),
                interval_rate=(done - last_n) / (now - last_t),
                peak_rss_mb=peak_rss_mb(),
                rss_mb=current_rss_mb(),
            )
            last_t, last_n = now, done
            result.checkpoints.append(cp)
            if progress:
                progress(cp)
    result.articles = done
    result.seconds = time.perf_counter() - t0
    return result


def after_load(result: LoadResult) -> None:
    """What a real deployment has after a big import: statistics and the spelling words."""
    from ..search import get_engine

    def step(name, fn):
        t = time.perf_counter()
        fn()
        result.post_steps[name] = time.perf_counter() - t

    def run(sql):
        with connection.cursor() as cur:
            cur.execute(sql)

    if connection.vendor == "postgresql":
        step("VACUUM ANALYZE", lambda: run("VACUUM ANALYZE"))
        step("REFRESH MATERIALIZED VIEW archive_search_words", get_engine().after_import)
    else:
        step("PRAGMA synchronous=NORMAL", lambda: run("PRAGMA synchronous=NORMAL"))
        step("after_import()", get_engine().after_import)


def database_size_mb() -> float:
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT pg_database_size(current_database())")
            return cur.fetchone()[0] / 2**20
        cur.execute("PRAGMA page_count")
        pages = cur.fetchone()[0]
        cur.execute("PRAGMA page_size")
        return pages * cur.fetchone()[0] / 2**20
