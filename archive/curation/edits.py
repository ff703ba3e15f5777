"""An editor's saves and deletions, with the rules that keep their work through a re-import.

- The curated fields an editor changes on an article or entity, and the fields of a
  relationship they set (all of a new one's), become `edited_fields`: the import leaves
  them alone; "hand back to the import" empties the list.
- An alias an editor adds or changes is theirs (origin="editor"): the catalogue sync
  never deletes it. A mention an editor adds or points at another entity is theirs too.
- Deleting a mention the linker found rejects it instead: it would come back on the next
  import. Deleting a catalogue item or an imported article records a Suppression, so the
  import leaves it out (an entity under its merged-away slugs too). An article goes with
  the rows that only speak of it: its mentions, relationships, statuses and candidates.
- Set once: an entity's slug (how the catalogue recognises it), an article's slug (its
  public address; the import recognises an article by Article.source_key) and its text.
- A sourced claim (a relationship, a program status) quotes the article's own words.
- What a change means for the linker is done once, at the end of each action: the
  articles concerned are relinked; a change of names queues every article (relink.py).

A change form's save is one action: the object and the rows inlined with it (`Rows`).
"""

from dataclasses import dataclass, field

from django.db import transaction

from ..models import Alias, Article, Entity, Mention, ProgramStatus, Relationship, Suppression
from ..models.articles import ARTICLE_CURATED_FIELDS
from ..models.entities import ENTITY_CURATED_FIELDS
from ..names.text import fold_key
from . import history
from .relink import Relinks
from .results import CurationError, Result, counted

# Set when a row is added, never changed after: the catalogue's key of an entity, and an
# article's public address and archived text.
FIXED_FIELDS = {Article: ("slug", "body"), Entity: ("slug",)}
REJECTED_NOT_DELETED = (
    "Rejected rather than deleted: the linker found it, so it would come back on the next import."
)


@dataclass
class Rows:
    """What a change form did to the rows inlined with its object (one inline)."""

    added: list = field(default_factory=list)
    changed: list[tuple] = field(default_factory=list)  # (row, names of the fields changed)
    deleted: list = field(default_factory=list)


def _for(table: dict, obj, default=None):
    """`table`'s entry for obj's model or the nearest model it inherits from."""
    return next((table[cls] for cls in type(obj).__mro__ if cls in table), default)


def fixed_fields(obj) -> tuple[str, ...]:
    """The fields of `obj` an editor sets only when adding it."""
    return _for(FIXED_FIELDS, obj, ())


def delete_rejects(obj) -> bool:
    """Does deleting `obj` reject it instead? (A mention the linker found would return.)"""
    return isinstance(obj, Mention) and obj.origin == Mention.Origin.LINKER


def claim_errors(values: dict) -> dict[str, str]:
    """What is wrong with a sourced claim (a relationship or a program status), by field.
    `values` holds its article, quote and, for a relationship, subject and object."""
    errors = {}
    article, quote = values.get("article"), values.get("quote")
    if article and quote and quote not in article.body:
        errors["quote"] = "Copy the sentence exactly as the article's text has it."
    subject, obj = values.get("subject"), values.get("object")
    if subject and obj and subject.pk == obj.pk:
        errors["object"] = "An entity cannot stand in a relationship with itself."
    return errors


def _check_claim(claim, ends=()) -> None:
    values = {name: getattr(claim, name) for name in ("article", "quote", *ends)}
    if errors := claim_errors(values):
        raise CurationError(" ".join(errors.values()))


# --- the rules for saving one row, by model (applied before it is saved) ---------------


def _article_rules(article, changed, created, relinks):
    article.mark_edited(set(changed) & set(ARTICLE_CURATED_FIELDS))
    relinks.articles(article)  # new mentions, states or a new text change what it names


def _entity_rules(entity, changed, created, relinks):
    edited = set(changed) & set(ENTITY_CURATED_FIELDS)
    if "parent" in edited and "parent_source" not in edited and hasattr(entity, "parent_source"):
        # The old parent's source does not say the new one: the page shows no source until
        # the editor gives one, and the import will not put the catalogue's back.
        entity.parent_source = {}
        edited.add("parent_source")
    entity.mark_edited(edited)
    if created:
        relinks.everything(f"New {entity._meta.verbose_name} “{entity.name}”")
    elif edited & {"name", "acronym"}:
        relinks.everything(f"Name or acronym of “{entity.name}” changed")


def _alias_rules(alias, changed, created, relinks):
    alias.origin = Alias.Origin.EDITOR
    relinks.everything(f"Alias “{alias.name}” of “{alias.entity.name}” saved")


def _mention_rules(mention, changed, created, relinks):
    if created or "entity" in changed:
        mention.origin = Mention.Origin.EDITOR
    relinks.articles(mention.article)


def _relationship_rules(rel, changed, created, relinks):
    _check_claim(rel, ("subject", "object"))
    rel.mark_edited(Relationship.IMPORTED_FIELDS if created else changed)


def _status_rules(status, changed, created, relinks):
    _check_claim(status)


SAVE_RULES = {
    Article: _article_rules,
    Entity: _entity_rules,
    Alias: _alias_rules,
    Mention: _mention_rules,
    Relationship: _relationship_rules,
    ProgramStatus: _status_rules,
}


def _save_row(obj, changed, created: bool, relinks: Relinks) -> None:
    fixed = [] if created else sorted(set(changed) & set(fixed_fields(obj)))
    if fixed:
        raise CurationError(f"{', '.join(fixed)}: set when it is added, never changed.")
    _for(SAVE_RULES, obj, lambda *args: None)(obj, changed, created, relinks)
    obj.save()


def _delete_row(obj, relinks: Relinks) -> None:
    if isinstance(obj, Mention):
        relinks.articles(obj.article_id)
        if delete_rejects(obj):
            obj.state = Mention.State.REJECTED
            obj.save(update_fields=["state"])
            return
    elif isinstance(obj, Alias):
        relinks.everything(f"Alias “{obj.name}” of “{obj.entity.name}” deleted")
    elif isinstance(obj, Entity):
        relinks.articles(*Article.objects.filter(mentions__entity=obj).values_list("pk", flat=True))
    # An article's mentions, relationships, program statuses and candidates go with it.
    suppress([obj])
    obj.delete()


def _rejected_warning(mention) -> str:
    return (
        f"“{mention.entity}” in “{mention.article}” was found by the linker, so it was marked "
        "rejected rather than deleted (it would come back on the next import)."
    )


def _save_rows(rows: Rows, relinks: Relinks, result: Result) -> Rows:
    """Apply an inline's changes (deletions first); returns what was done, for the history."""
    done = Rows(added=rows.added, changed=list(rows.changed))
    for obj in rows.deleted:
        if delete_rejects(obj):
            done.changed.append((obj, ["state"]))
            result.warnings.append(_rejected_warning(obj))
        else:
            done.deleted.append(obj)
        _delete_row(obj, relinks)
    for obj in rows.added:
        _save_row(obj, [], True, relinks)
    for obj, changed in rows.changed:
        _save_row(obj, changed, False, relinks)
    return done


def _save(obj, changed, user, created: bool, related) -> Result:
    result, relinks = Result(), Relinks()
    with transaction.atomic():
        _save_row(obj, changed, created, relinks)
        done = [_save_rows(rows, relinks, result) for rows in related]
        flag = history.ADDITION if created else history.CHANGE
        history.log(user, [obj], flag, history.form_message(obj, changed, created, done))
        result.job = relinks.run(user)
    return result


# --- saving: one action per model's change form -----------------------------------------


def save_article(article, changed, user, *, created=False, related=()) -> Result:
    """An editor saved an article (with its mentions): the curated fields they changed
    become edited_fields, and the article is relinked."""
    return _save(article, changed, user, created, related)


def save_entity(entity, changed, user, *, created=False, related=()) -> Result:
    """An editor saved an agency, contractor or program (with its aliases, mentions,
    relationships and program statuses). A new name or acronym relinks every article."""
    return _save(entity, changed, user, created, related)


def save_alias(alias, changed, user, *, created=False, related=()) -> Result:
    """An editor saved an alias: it becomes theirs, and every article is relinked."""
    return _save(alias, changed, user, created, related)


def save_mention(mention, changed, user, *, created=False, related=()) -> Result:
    """An editor saved a mention: one they add or re-point is theirs; its article is
    relinked (a state an editor set is kept)."""
    return _save(mention, changed, user, created, related)


def save_relationship(rel, changed, user, *, created=False, related=()) -> Result:
    """An editor saved a relationship: the fields they set (all of a new one's) become
    edited_fields. Its quote must be the article's own words."""
    return _save(rel, changed, user, created, related)


def save_program_status(status, changed, user, *, created=False, related=()) -> Result:
    """An editor saved a program status: its quote must be the article's own words."""
    return _save(status, changed, user, created, related)


# --- deleting ---------------------------------------------------------------------------


def _suppressions(obj) -> list[tuple[str, str]]:
    """What the import must leave out once `obj` is deleted: the item itself and, for an
    entity others were merged into, each merged-away slug (the catalogue would otherwise
    create those entities again, their redirects gone with the entity)."""
    found = [Suppression.of(obj)]
    if isinstance(obj, Entity):
        found += [
            (Suppression.What.ENTITY, Suppression.key_for(slug))
            for slug in obj.redirects.values_list("old_slug", flat=True)
        ]
    return [f for f in found if f]


def suppress(objs) -> int:
    """Record that an editor deleted these catalogue items or imported articles, so
    import_seeds leaves them out (an editor's own additions, which no import re-creates,
    are skipped)."""
    n = 0
    for obj in objs:
        for what, key in _suppressions(obj):
            _, created = Suppression.objects.get_or_create(what=what, key=key)
            n += created
    return n


def delete_items(objs, user) -> Result:
    """An editor deleted `objs`: catalogue items and imported articles are remembered as
    deleted, a mention the linker found is rejected instead (an article's mentions go with
    it), and what they named is relinked."""
    objs = list(objs)
    rejected = [o for o in objs if delete_rejects(o)]
    result, relinks = Result(warnings=[_rejected_warning(m) for m in rejected]), Relinks()
    with transaction.atomic():
        history.log(user, [o for o in objs if o not in rejected], history.DELETION)
        history.log(user, rejected, history.CHANGE, REJECTED_NOT_DELETED)
        for obj in objs:
            _delete_row(obj, relinks)
        result.job = relinks.run(user)
    return result


# --- list actions -----------------------------------------------------------------------


def set_values(objs, values: dict, user, message: str, also=()) -> list:
    """Set `values` on each of `objs` that differs, save those fields (and `also`), and log
    `message` for each; returns the objects changed."""
    objs = [o for o in objs if any(getattr(o, k) != v for k, v in values.items())]
    with transaction.atomic():
        for obj in objs:
            for name, value in values.items():
                setattr(obj, name, value)
            obj.save(update_fields=[*values, *also])
        history.log(user, objs, history.CHANGE, message)
    return objs


def set_mention_state(mentions, state, user) -> Result:
    """An editor confirmed, rejected or handed back to the linker (auto) these mentions;
    the linker keeps a state an editor set. Their articles are relinked."""
    label = Mention.State(state).label.lower()
    with transaction.atomic():
        changed = set_values(mentions, {"state": state}, user, f"State set to {label}.")
        relinks = Relinks()
        relinks.articles(*(m.article_id for m in changed))
        relinks.run(user)
    return Result(f"{counted(len(changed), 'mention')} set to {label}.")


def mark_reviewed(entities, user) -> Result:
    """An editor checked these entities."""
    n = len(set_values(entities, {"reviewed": True}, user, "Marked reviewed.", ["updated"]))
    return Result(f"{n} entit{'y' if n == 1 else 'ies'} marked reviewed.")


def release_fields(objs, user) -> Result:
    """Hand the fields an editor set back to the import: it may update them all again."""
    n = 0
    with transaction.atomic():
        for obj in objs:
            if obj.edited_fields:
                fields = ", ".join(obj.edited_fields)
                set_values(
                    [obj], {"edited_fields": []}, user, f"Handed back to the import: {fields}."
                )
                n += 1
    return Result(
        f"Handed the edited fields of {counted(n, 'row')} back to the import"
        + ("; the next import may update every field again." if n else ": none had any.")
    )


def add_alias(entity, name: str, case_sensitive: bool) -> bool:
    """Give `entity` the editor's alias `name` unless it already goes by it (folded)."""
    name = name.strip()
    taken = {fold_key(n) for n, _ in entity.names()}
    if not name or fold_key(name) in taken:
        return False
    Alias.objects.create(
        entity=entity, name=name, case_sensitive=case_sensitive, origin=Alias.Origin.EDITOR
    )
    return True
