"""Edit-distance spelling suggestions (the SQLite engine's "did you mean")."""


def distance(a: str, b: str, limit: int = 3) -> int:
    """Damerau-Levenshtein (optimal string alignment), stopping early above `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2, prev = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if prev2 is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def closest(word: str, vocabulary: dict[str, int]) -> str | None:
    """The most frequent vocabulary word within edit distance 1 (2 for longer words)."""
    if len(word) < 3:
        return None
    limit = 1 if len(word) <= 5 else 2
    best = None
    for candidate, freq in vocabulary.items():
        if abs(len(candidate) - len(word)) > limit or candidate[:1] != word[:1]:
            continue
        d = distance(word, candidate, limit)
        if d <= limit and (best is None or (d, -freq, candidate) < best[0]):
            best = ((d, -freq, candidate), candidate)
    return best[1] if best else None
