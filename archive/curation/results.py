"""What a curation action hands back: a Result for the editor, or a CurationError."""

from dataclasses import dataclass, field

from ..models import RelinkJob


class CurationError(Exception):
    """A curation request that cannot be carried out; the message is for the editor."""


@dataclass
class Result:
    """What an action did, in words the admin shows the editor as they are."""

    message: str = ""  # what was done ("" when the admin's own "saved" message says it)
    warnings: list[str] = field(default_factory=list)  # what was done differently than asked
    job: RelinkJob | None = None  # the whole-archive relink the action queued, if any


def counted(n: int, singular: str, plural: str = "") -> str:
    """A count in plain words: "1 mention", "3 mentions", "0 mentions", never "mention(s)"."""
    return f"{n} {singular if n == 1 else plural or singular + 's'}"
