"""Merging duplicate entities: the one place that decides whether entities may merge.

A merged entity leaves an EntityRedirect, so the catalogue never recreates it and its old
address keeps working; its names become the target's aliases (origin="editor").

What editors deleted follows the merge without rewriting anything: the import reads every
slug in a Suppression's key, and in the catalogue's own names of items, through the
redirects (ingest.catalogue.suppressed), so a relationship, alias or status deleted under
the old slug before the merge, or under the surviving one after it, stays deleted. Deleting
one of the target's merged-in aliases is remembered too (models.Suppression.of), and so are
the merged-away slugs when the target itself is deleted (edits.suppress).
"""

from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction

from ..ingest.catalogue import MODEL_FOR_KIND
from ..models import (
    Agency,
    Candidate,
    Entity,
    EntityKind,
    EntityRedirect,
    Mention,
    ProgramStatus,
    Relationship,
)
from ..names.linker import is_acronym_like
from . import history
from .edits import add_alias
from .relink import Relinks
from .results import CurationError, Result, counted

# The stricter of two editors' decisions wins when two mentions become one.
STATE_RANK = {Mention.State.AUTO: 0, Mention.State.CONFIRMED: 1, Mention.State.REJECTED: 2}


@dataclass
class MergeResult(Result):
    target: Entity | None = None
    merged: list[str] = field(default_factory=list)  # names of the entities merged away
    stats: Counter = field(default_factory=Counter)

    def describe(self) -> str:
        # Only what happened, each count in plain words ("1 alias added", not "1 aliases
        # added; 0 relationships moved, 0 identical ...").
        s = self.stats
        said = [
            counted(s[key], *noun) + " " + what
            for key, noun, what in [
                ("mentions_moved", ("mention",), "moved"),
                ("mentions_combined", ("mention",), "combined with the kept entity's"),
                ("aliases_added", ("alias", "aliases"), "added"),
                ("relationships_moved", ("relationship",), "moved"),
                ("relationships_identical", ("relationship",), "identical to one kept"),
                (
                    "relationships_reworded",
                    ("relationship",),
                    "dropped as another wording of a claim kept (confirmed)",
                ),
                ("statuses_moved", ("program status", "program statuses"), "moved"),
                ("statuses_identical", ("program status", "program statuses"), "identical"),
                ("children_moved", ("child agency", "child agencies"), "moved"),
                ("redirects", ("redirect",), "from the old addresses"),
            ]
            if s[key]
        ]
        return (
            f"Merged {', '.join(self.merged)} into {self.target.name}: "
            + ("; ".join(said) or "nothing else to move")
            + "."
        )


# -- what a merge does with each piece of evidence (the preview, and the merge itself) ------
MOVES = "moves"  # nothing like it on the target: it moves as it is
IDENTICAL = "identical"  # the target states the same claim in the same words: nothing lost
REWORDED = "reworded"  # the same claim (ends, kind, article, amount, period) in other words
SELF = "self"  # would relate the target to itself ("X is part of X")

OUTCOME_LABELS = {
    MOVES: "moves to the entity kept",
    IDENTICAL: "identical to one the entity kept has: merged into it, nothing lost",
    REWORDED: "the same claim in other words: the kept entity's wording stays, this one is "
    "dropped — only if you confirm",
    SELF: "would relate the entity kept to itself: dropped",
}


def _same_words(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


@dataclass
class Evidence:
    """One relationship or program status of an entity merged away, and what becomes of it."""

    source: Entity
    item: object  # a Relationship or a ProgramStatus
    outcome: str

    @property
    def label(self) -> str:
        return OUTCOME_LABELS[self.outcome]


def _relationship_outcome(rel: Relationship, end: str, target: Entity, others_ids) -> tuple:
    """(outcome, the target's relationship it meets or None) for `rel` once its `end` is the
    target. The other end may itself be merged away: it becomes the target too."""
    ends = {"subject": rel.subject_id, "object": rel.object_id}
    ends = {k: (target.pk if v in others_ids or k == end else v) for k, v in ends.items()}
    if ends["subject"] == ends["object"]:
        return SELF, None
    met = (
        Relationship.objects.filter(
            subject_id=ends["subject"],
            kind=rel.kind,
            object_id=ends["object"],
            article_id=rel.article_id,
            amount=rel.amount,
            period=rel.period,
        )
        .exclude(pk=rel.pk)
        .first()
    )
    if met is None:
        return MOVES, None
    return (IDENTICAL if _same_words(met.quote, rel.quote) else REWORDED), met


def _status_outcome(ps: ProgramStatus, target: Entity) -> tuple:
    met = ProgramStatus.objects.filter(
        program_id=target.pk, status=ps.status, year=ps.year, article_id=ps.article_id
    ).first()
    if met is None:
        return MOVES, None
    same = _same_words(met.quote, ps.quote) and met.note == ps.note
    return (IDENTICAL if same else REWORDED), met


def evidence(target: Entity, others: list[Entity]) -> list[Evidence]:
    """What a merge of `others` into `target` does with each sourced claim they hold."""
    others_ids = {o.pk for o in others}
    out = []
    for other in others:
        for end in ("subject", "object"):
            for rel in Relationship.objects.filter(**{end: other}).select_related(
                "subject", "object", "article"
            ):
                if end == "object" and rel.subject_id in others_ids:
                    continue  # seen from its subject's side
                outcome, _ = _relationship_outcome(rel, end, target, others_ids)
                out.append(Evidence(other, rel, outcome))
        for ps in ProgramStatus.objects.filter(program_id=other.pk).select_related("article"):
            out.append(Evidence(other, ps, _status_outcome(ps, target)[0]))
    return out


def _check(entities) -> None:
    """Only two or more entities of one kind merge (an agency's children or a program's
    status history have nowhere to go in another kind)."""
    if len({e.pk for e in entities}) < 2:
        raise CurationError(
            "Select two or more entities to merge: the one to keep and those to fold into it."
        )
    kinds = {e.kind for e in entities}
    if len(kinds) > 1:
        raise CurationError(
            f"Only entities of one kind can be merged (got {', '.join(sorted(kinds))})."
        )


@dataclass
class MergePlan:
    """Entities an editor selected to merge, most articles first (the default to keep)."""

    entities: list[Entity]

    @property
    def default_target(self) -> Entity:
        return self.entities[0]

    def previews(self) -> list[tuple[Entity, list[Evidence]]]:
        """For each entity that could be kept: what becomes of the others' evidence."""
        return [(t, evidence(t, [e for e in self.entities if e.pk != t.pk])) for t in self.entities]

    def target(self, pk) -> Entity:
        """The entity the editor chose to keep, which must be one of those selected."""
        found = next((e for e in self.entities if str(e.pk) == str(pk)), None)
        if found is None:
            raise CurationError("Choose the entity to keep.")
        return found


def plan_merge(entities) -> MergePlan:
    """Check that `entities` may merge, and order them for the editor's choice."""
    plan = MergePlan(
        list(
            Entity.objects.filter(pk__in=[e.pk for e in entities])
            .with_article_counts()
            .prefetch_related("aliases")
            .order_by("-article_count", "pk")
        )
    )
    _check(plan.entities)
    return plan


def _add_alias(target: Entity, name: str, case_sensitive: bool, stats: Counter) -> None:
    stats["aliases_added"] += add_alias(target, name, case_sensitive)


def _merge_mentions(target: Entity, other: Entity, stats: Counter) -> set[int]:
    articles = set()
    mine = {m.article_id: m for m in Mention.objects.filter(entity=target)}
    for m in Mention.objects.filter(entity=other):
        articles.add(m.article_id)
        kept = mine.get(m.article_id)
        if kept is None:
            m.entity = target
            m.save(update_fields=["entity"])
            stats["mentions_moved"] += 1
            continue
        spans = sorted({tuple(s) for s in [*kept.spans, *m.spans]})
        kept.count = len(spans) if (kept.spans and m.spans) else kept.count + m.count
        kept.spans = [list(s) for s in spans]
        if STATE_RANK[m.state] > STATE_RANK[kept.state]:
            kept.state = m.state
        if m.origin == Mention.Origin.EDITOR:
            kept.origin = Mention.Origin.EDITOR
        kept.save(update_fields=["count", "spans", "state", "origin"])
        m.delete()
        stats["mentions_combined"] += 1
    return articles


def _merge_relationships(target: Entity, other: Entity, others_ids, stats: Counter) -> None:
    for end in ("subject", "object"):
        for rel in Relationship.objects.filter(**{end: other}):
            outcome, met = _relationship_outcome(rel, end, target, others_ids)
            if outcome == MOVES:
                if rel.subject_id in others_ids:
                    rel.subject_id = target.pk
                if rel.object_id in others_ids:
                    rel.object_id = target.pk
                setattr(rel, f"{end}_id", target.pk)
                beside = Relationship.objects.filter(
                    subject_id=rel.subject_id,
                    kind=rel.kind,
                    object_id=rel.object_id,
                    article_id=rel.article_id,
                ).exclude(pk=rel.pk)
                if beside.exists():
                    # Beside another claim of the same pair and article (another amount or
                    # period): the catalogue, which knows one per pair and article, must
                    # leave both as the editor's merge made them.
                    rel.mark_edited(list(Relationship.IMPORTED_FIELDS))
                    for sibling in beside:
                        sibling.mark_edited(list(Relationship.IMPORTED_FIELDS))
                        sibling.save(update_fields=["edited_fields"])
                rel.save(update_fields=["subject", "object", "edited_fields"])
                stats["relationships_moved"] += 1
                continue
            if met is not None and rel.edited_fields:
                met.mark_edited(rel.edited_fields)
                met.save(update_fields=["edited_fields"])
            rel.delete()
            stats[{IDENTICAL: "relationships_identical", REWORDED: "relationships_reworded",
                   SELF: "relationships_self"}[outcome]] += 1  # fmt: skip


def _merge_statuses(target: Entity, other: Entity, stats: Counter) -> None:
    for ps in ProgramStatus.objects.filter(program_id=other.pk):
        outcome, _ = _status_outcome(ps, target)
        if outcome == MOVES:
            ps.program_id = target.pk
            ps.save(update_fields=["program"])
            stats["statuses_moved"] += 1
        else:
            ps.delete()  # the catalogue's get_or_create would otherwise find two
            stats["statuses_identical" if outcome == IDENTICAL else "statuses_reworded"] += 1


def _merge_children(target: Entity, other: Entity, stats: Counter) -> None:
    if target.kind != EntityKind.AGENCY:
        return
    stats["children_moved"] += (
        Agency.objects.filter(parent_id=other.pk).exclude(pk=target.pk).update(parent_id=target.pk)
    )
    agency = Agency.objects.get(pk=target.pk)
    if agency.parent_id == other.pk:
        # The target was the merged agency's child: it takes its place in the tree.
        other_parent = Agency.objects.get(pk=other.pk).parent_id
        agency.parent_id = other_parent if other_parent != target.pk else None
        agency.mark_edited(["parent"])
        agency.save(update_fields=["parent", "edited_fields"])


def merge_entities(target: Entity, others, user=None, drop_reworded: bool = False) -> MergeResult:
    """Fold `others` into `target`: mentions, aliases, relationships, program statuses,
    child agencies and redirects move; the others are deleted; affected articles relinked.

    Every sourced claim is kept unless the target holds the same one: in the same words
    (nothing is lost) or in other words, which is dropped only with `drop_reworded` (the
    editor confirmed it in the preview). A claim with another amount or period is another
    claim and moves."""
    target = Entity.objects.get(pk=target.pk)
    others = [Entity.objects.get(pk=o.pk) for o in others if o.pk != target.pk]
    _check([target, *others])
    reworded = [e for e in evidence(target, others) if e.outcome == REWORDED]
    if reworded and not drop_reworded:
        raise CurationError(
            f"{len(reworded)} claim(s) of the entities merged away state what "
            f"{target.name} already states, in other words; the merge keeps {target.name}'s "
            "wording and drops theirs. Confirm that in the preview, or edit them first."
        )
    others_ids = {o.pk for o in others}
    # As their kind, so the history is on the agency's (contractor's, program's) own page.
    model = MODEL_FOR_KIND[EntityKind(target.kind)]
    target, others = model.objects.get(pk=target.pk), [model.objects.get(pk=o.pk) for o in others]
    result = MergeResult(target=target)
    stats = result.stats
    articles: set[int] = set()
    with transaction.atomic():
        history.log(user, others, history.DELETION)
        for other in others:
            articles |= _merge_mentions(target, other, stats)
            for alias in other.aliases.all():
                _add_alias(target, alias.name, alias.case_sensitive, stats)
            _add_alias(target, other.name, is_acronym_like(other.name), stats)
            if other.acronym:
                _add_alias(target, other.acronym, True, stats)
            _merge_relationships(target, other, others_ids, stats)
            _merge_statuses(target, other, stats)
            _merge_children(target, other, stats)
            if not target.description and other.description:
                target.description = other.description
                # An editor's decision: the catalogue's (empty) description must not return.
                target.mark_edited(["description"])
                target.save(update_fields=["description", "edited_fields", "updated"])
            EntityRedirect.objects.filter(entity=other).update(entity=target)
            EntityRedirect.objects.update_or_create(
                old_slug=other.slug, defaults={"entity": target}
            )
            stats["redirects"] += 1
            Candidate.objects.filter(entity=other).update(entity=target)
            result.merged.append(other.name)
            other.delete()
        # The merged entities' articles now, as the editor waits; every article later: the
        # target's new aliases may name it anywhere (and change what search indexes for the
        # articles already linked to it), as when an editor saves an alias.
        relinks = Relinks()
        relinks.articles(*articles)
        relinks.everything(f"Merged {', '.join(result.merged)} into “{target.name}”")
        result.job = relinks.run(user)
        result.message = result.describe()
        history.log(user, [target], history.CHANGE, result.message)
    return result
