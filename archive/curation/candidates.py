"""Candidate entities (names discovery found that the catalogue lacks): an editor approves
one as a new entity or as an alias of an existing one, or rejects it. A decided candidate
(approved or rejected) is never suggested again; approving one relinks every article."""

from django.db import transaction
from django.utils.text import slugify

from ..ingest.catalogue import MODEL_FOR_KIND
from ..models import Candidate, Entity, EntityKind, EntityRedirect
from ..names.linker import is_acronym_like
from ..names.text import fold_key
from . import history
from .edits import add_alias, set_values
from .relink import Relinks, queue_relink
from .results import CurationError, Result, counted


def candidate_errors(name: str, state: str, entity, *, created: bool) -> dict[str, str]:
    """What is wrong with a candidate an editor adds or decides, by field."""
    errors = {}
    if created and name and Candidate.objects.filter(key=fold_key(name)).exists():
        errors["name"] = "This name was already suggested."
    if state == Candidate.State.APPROVED and not entity:
        errors["entity"] = (
            "Choose the entity this name is an alias of, or approve it as a new "
            "agency, contractor or program with the actions on the list."
        )
    return errors


def unique_slug(name: str) -> str:
    base = slugify(name)[:110].strip("-") or "entity"
    slug, n = base, 2
    while (
        Entity.objects.filter(slug=slug).exists()
        or EntityRedirect.objects.filter(old_slug=slug).exists()
    ):
        slug, n = f"{base}-{n}", n + 1
    return slug


def _make_alias(candidate, entity, relinks: Relinks, user) -> None:
    """The candidate's name (and acronym) become the entity's aliases; it is approved."""
    entity = Entity.objects.get(pk=entity.pk)
    add_alias(entity, candidate.name, is_acronym_like(candidate.name))
    if candidate.acronym:
        add_alias(entity, candidate.acronym, True)
    candidate.state, candidate.entity = Candidate.State.APPROVED, entity
    candidate.save(update_fields=["state", "entity"])
    relinks.everything(f"Candidate “{candidate.name}” approved as an alias of “{entity.name}”")
    history.log(
        user,
        [entity],
        history.CHANGE,
        f"Added “{candidate.name}” as an alias (candidate entity approved).",
    )


def save_candidate(candidate, changed, user, *, created=False, related=()) -> Result:
    """An editor added or changed a candidate. Setting it approved with an entity chosen
    approves it as an alias of that entity."""
    errors = candidate_errors(candidate.name, candidate.state, candidate.entity, created=created)
    if errors:
        raise CurationError(" ".join(errors.values()))
    becomes_alias = (
        candidate.state == Candidate.State.APPROVED
        and candidate.entity_id
        and {"state", "entity"} & set(changed)
    )
    result, relinks = Result(), Relinks()
    with transaction.atomic():
        if created:
            candidate.key = fold_key(candidate.name)
        candidate.save()
        flag = history.ADDITION if created else history.CHANGE
        history.log(user, [candidate], flag, history.form_message(candidate, changed, created, ()))
        if becomes_alias:
            _make_alias(candidate, candidate.entity, relinks, user)
            result.message = f"“{candidate.name}” is now an alias of {candidate.entity}."
        result.job = relinks.run(user)
    return result


def approve_candidates(candidates, as_kind, user=None) -> Result:
    """Create an entity of `as_kind` for each candidate not yet approved; relink every
    article."""
    kind = EntityKind(as_kind)
    label = kind.label.lower()
    candidates = list(candidates)
    pending = [c for c in candidates if c.state != Candidate.State.APPROVED]
    created = []
    with transaction.atomic():
        for c in pending:
            entity = MODEL_FOR_KIND[kind].objects.create(
                name=c.name.strip(),
                slug=unique_slug(c.name),
                acronym=c.acronym.strip(),
                kind=kind,
                reviewed=True,
            )
            c.state, c.entity = Candidate.State.APPROVED, entity
            c.save(update_fields=["state", "entity"])
            created.append(entity)
            history.log(user, [entity], history.ADDITION, f"Approved candidate “{c.name}”.")
            history.log(user, [c], history.CHANGE, f"Approved as {label} {entity.slug}.")
        names = ", ".join(e.name for e in created)
        job = queue_relink(f"New {kind.plural}: {names}", user) if created else None
    skipped = len(candidates) - len(pending)  # never negative: pending is a part of them
    said = [f"Created {counted(len(created), label, kind.plural)}: {names}."] if created else []
    if skipped:
        said.append(f"Skipped {counted(skipped, 'candidate')} already approved.")
    return Result(" ".join(said) or "No candidate selected.", job=job)


def approve_as_aliases(candidates, user=None) -> Result:
    """Approve each candidate as an alias of the entity chosen on it; relink every article."""
    done, missing, relinks = [], [], Relinks()
    with transaction.atomic():
        for c in candidates:
            if c.entity_id is None:
                missing.append(c.name)
                continue
            _make_alias(c, c.entity, relinks, user)
            history.log(user, [c], history.CHANGE, f"Approved as an alias of {c.entity.slug}.")
            done.append(c.name)
        result = Result(f"Approved as aliases: {', '.join(done)}." if done else "")
        result.job = relinks.run(user)
    if missing:
        result.warnings.append(
            f"No entity chosen for {', '.join(missing)}: open each, choose the entity, then "
            "run this action (or set the state to Approved and save)."
        )
    return result


def approve_candidate_as_alias(candidate, entity, user=None):
    """Make the candidate's name (and its acronym) aliases of `entity`; returns the alias."""
    candidate.entity = entity
    approve_as_aliases([candidate], user)
    return entity.aliases.filter(name=candidate.name.strip()).first()


def reject_candidates(candidates, user=None) -> Result:
    """Mark candidates rejected; the import never suggests a decided name again."""
    state = {"state": Candidate.State.REJECTED}
    n = len(set_values(candidates, state, user, "Rejected; the import will not suggest it again."))
    return Result(
        f"Rejected {n} candidate entit{'y' if n == 1 else 'ies'}; "
        "the import will not suggest them again."
    )
