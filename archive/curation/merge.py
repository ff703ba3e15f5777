"""Editors' curation: merge duplicate entities, decide suggested names, relink articles.

Plain functions (the admin calls them, so could a management command or a shell). Each
runs in one transaction and leaves the database as a re-import expects it:
- a merged entity leaves an EntityRedirect, so the catalogue never recreates it and its
  old address keeps working;
- aliases an editor adds or moves are origin="editor", which the catalogue never deletes;
- a decided Candidate (approved or rejected) is never suggested again.
"""

from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.text import slugify

from ..models import (
    Agency,
    Alias,
    Article,
    Candidate,
    Entity,
    EntityKind,
    EntityRedirect,
    Mention,
    ProgramStatus,
    Relationship,
    Suppression,
)
from ..names.linker import build_linker, is_acronym_like
from ..names.text import fold_key
from . import importer
from .catalogue import MODEL_FOR_KIND

# The stricter of two editors' decisions wins when two mentions become one.
STATE_RANK = {Mention.State.AUTO: 0, Mention.State.CONFIRMED: 1, Mention.State.REJECTED: 2}


class CurationError(Exception):
    """A curation request that cannot be carried out; the message is for the editor."""


@dataclass
class MergeResult:
    target: Entity
    merged: list[str] = field(default_factory=list)  # names of the entities merged away
    stats: Counter = field(default_factory=Counter)

    def message(self) -> str:
        s = self.stats
        return (
            f"Merged {', '.join(self.merged)} into {self.target.name}: "
            f"{s['mentions_moved']} mentions moved, {s['mentions_combined']} combined; "
            f"{s['aliases_added']} aliases added; {s['relationships_moved']} relationships moved, "
            f"{s['relationships_dropped']} duplicates dropped; "
            f"{s['statuses_moved']} program statuses moved; "
            f"{s['children_moved']} child agencies moved; {s['redirects']} redirects."
        )


def _log(user, obj, flag, message):
    """Record in the admin history when a caller outside the admin names a user."""
    if user is None:
        return
    from django.contrib.admin.models import LogEntry

    LogEntry.objects.log_actions(
        user_id=user.pk,
        queryset=[obj],
        action_flag=flag,
        change_message=message,
        single_object=True,
    )


def relink_articles(articles=None) -> Counter:
    """Run the linker again over `articles` (default: every article); editors' mentions stay."""
    articles = list(Article.objects.all() if articles is None else articles)
    stats: Counter = Counter()
    with transaction.atomic():
        importer.link_articles(articles, stats, build_linker())
    return stats


# --- merging -------------------------------------------------------------------------


def _add_alias(target: Entity, name: str, case_sensitive: bool, stats: Counter) -> None:
    name = name.strip()
    if not name:
        return
    taken = {fold_key(target.name)} | {fold_key(a.name) for a in target.aliases.all()}
    if target.acronym:
        taken.add(fold_key(target.acronym))
    if fold_key(name) in taken:
        return
    Alias.objects.create(
        entity=target, name=name, case_sensitive=case_sensitive, origin=Alias.Origin.EDITOR
    )
    stats["aliases_added"] += 1


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


def _merge_relationships(target: Entity, other: Entity, stats: Counter) -> None:
    for end in ("subject", "object"):
        for rel in Relationship.objects.filter(**{end: other}):
            setattr(rel, end, target)
            duplicate = Relationship.objects.filter(
                subject_id=rel.subject_id,
                kind=rel.kind,
                object_id=rel.object_id,
                article_id=rel.article_id,
            ).exclude(pk=rel.pk)
            if rel.subject_id == rel.object_id or duplicate.exists():
                # "X is part of X", or one the target already has: drop it.
                if rel.edited_fields:
                    for kept in duplicate:
                        kept.mark_edited(rel.edited_fields)
                        kept.save(update_fields=["edited_fields"])
                rel.delete()
                stats["relationships_dropped"] += 1
            else:
                rel.save(update_fields=[end])
                stats["relationships_moved"] += 1


def _merge_statuses(target: Entity, other: Entity, stats: Counter) -> None:
    have = set(
        ProgramStatus.objects.filter(program_id=target.pk).values_list(
            "status", "year", "article_id"
        )
    )
    for ps in ProgramStatus.objects.filter(program_id=other.pk):
        if (ps.status, ps.year, ps.article_id) in have:
            ps.delete()  # the catalogue's get_or_create would otherwise find two
        else:
            ps.program_id = target.pk
            ps.save(update_fields=["program"])
            have.add((ps.status, ps.year, ps.article_id))
            stats["statuses_moved"] += 1


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
        agency.edited_fields = sorted({*agency.edited_fields, "parent"})
        agency.save(update_fields=["parent", "edited_fields"])


def merge_entities(target: Entity, others, user=None) -> MergeResult:
    """Fold `others` into `target`: mentions, aliases, relationships, program statuses,
    child agencies and redirects move; the others are deleted; affected articles relinked.

    Only entities of one kind merge (an agency's children or a program's status history
    have nowhere to go in another kind). `user`, when given, records the merge in the admin
    history; the admin logs it itself.
    """
    target = Entity.objects.get(pk=target.pk)
    others = [Entity.objects.get(pk=o.pk) for o in others if o.pk != target.pk]
    result = MergeResult(target=target)
    if not others:
        raise CurationError("Choose at least one other entity to merge into the target.")
    kinds = {target.kind} | {o.kind for o in others}
    if len(kinds) > 1:
        raise CurationError(
            f"Only entities of one kind can be merged (got {', '.join(sorted(kinds))})."
        )
    stats = result.stats
    articles: set[int] = set()
    with transaction.atomic():
        for other in others:
            articles |= _merge_mentions(target, other, stats)
            for alias in other.aliases.all():
                _add_alias(target, alias.name, alias.case_sensitive, stats)
            _add_alias(target, other.name, is_acronym_like(other.name), stats)
            if other.acronym:
                _add_alias(target, other.acronym, True, stats)
            _merge_relationships(target, other, stats)
            _merge_statuses(target, other, stats)
            _merge_children(target, other, stats)
            if not target.description and other.description:
                target.description = other.description
                # An editor's decision: the catalogue's (empty) description must not return.
                target.edited_fields = sorted({*target.edited_fields, "description"})
                target.save(update_fields=["description", "edited_fields", "updated"])
            EntityRedirect.objects.filter(entity=other).update(entity=target)
            EntityRedirect.objects.update_or_create(
                old_slug=other.slug, defaults={"entity": target}
            )
            stats["redirects"] += 1
            Candidate.objects.filter(entity=other).update(entity=target)
            result.merged.append(other.name)
            other.delete()
        relink_articles(Article.objects.filter(pk__in=articles))
        _log(user, target, 2, result.message())
    return result


# --- candidates ----------------------------------------------------------------------


def unique_slug(name: str) -> str:
    base = slugify(name)[:110].strip("-") or "entity"
    slug, n = base, 2
    while (
        Entity.objects.filter(slug=slug).exists()
        or EntityRedirect.objects.filter(old_slug=slug).exists()
    ):
        slug, n = f"{base}-{n}", n + 1
    return slug


def approve_candidates(candidates, as_kind, user=None) -> list[Entity]:
    """Create an entity of `as_kind` for each candidate, then relink every article."""
    kind = EntityKind(as_kind)
    model = MODEL_FOR_KIND[kind]
    created = []
    with transaction.atomic():
        for c in candidates:
            if c.state == Candidate.State.APPROVED and c.entity_id:
                continue
            entity = model.objects.create(
                name=c.name.strip(),
                slug=unique_slug(c.name),
                acronym=c.acronym.strip(),
                kind=kind,
                reviewed=True,
            )
            c.state, c.entity = Candidate.State.APPROVED, entity
            c.save(update_fields=["state", "entity"])
            created.append(entity)
            _log(user, entity, 1, f"Approved suggested name “{c.name}” as {kind.label.lower()}.")
        if created:
            relink_articles()
    return created


def approve_candidate_as_alias(candidate, entity, user=None) -> Alias | None:
    """Make the candidate's name (and its acronym) aliases of an existing entity; relink."""
    entity = Entity.objects.get(pk=entity.pk)
    stats: Counter = Counter()
    with transaction.atomic():
        _add_alias(entity, candidate.name, is_acronym_like(candidate.name), stats)
        if candidate.acronym:
            _add_alias(entity, candidate.acronym, True, stats)
        candidate.state, candidate.entity = Candidate.State.APPROVED, entity
        candidate.save(update_fields=["state", "entity"])
        relink_articles()
        _log(user, entity, 2, f"Added “{candidate.name}” as an alias (suggested name approved).")
    return entity.aliases.filter(name=candidate.name.strip()).first()


def reject_candidates(candidates, user=None) -> int:
    """Mark candidates rejected; the importer never suggests a decided name again."""
    n = 0
    with transaction.atomic():
        for c in candidates:
            if c.state != Candidate.State.REJECTED:
                c.state = Candidate.State.REJECTED
                c.save(update_fields=["state"])
                _log(user, c, 2, "Rejected.")
                n += 1
    return n


def suppress(objs) -> int:
    """Record that an editor deleted these catalogue items, so import_seeds leaves them out."""
    n = 0
    for obj in objs:
        found = Suppression.of(obj)
        if found:
            _, created = Suppression.objects.get_or_create(what=found[0], key=found[1])
            n += created
    return n
