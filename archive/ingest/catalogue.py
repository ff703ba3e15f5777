"""fixtures/catalogue.json -> entities, aliases, relationships and program statuses.

The catalogue is the editors' starting point, not their master: an entity field an editor
changed (listed in `edited_fields`), an alias an editor removed from a merged entity, or an
entity merged into another (an EntityRedirect) are all left as the editor set them.

What editors deleted (Suppressions) is read through merges: a slug merged into another
entity stands for that entity, in the catalogue's names of items and in the suppressions'
keys alike, so a deletion is remembered whichever of its entity's slugs named it.
"""

import json
from collections import Counter
from pathlib import Path

from ..models import (
    Agency,
    Alias,
    Article,
    Contractor,
    Entity,
    EntityKind,
    EntityRedirect,
    Organization,
    Program,
    ProgramStatus,
    Relationship,
    Suppression,
    derived_status,
)
from ..models.entities import parent_source_kind
from . import IngestError

MODEL_FOR_KIND = {
    EntityKind.AGENCY: Agency,
    EntityKind.CONTRACTOR: Contractor,
    EntityKind.PROGRAM: Program,
    EntityKind.ORGANIZATION: Organization,
}


def description_text(item: dict) -> str:
    """An entity's description as one text: the catalogue gives it as sourced sentences
    ([{"text", "article", "quote"}], each shown with a footnote to its passage) or, from an
    older catalogue, as a plain string."""
    value = item.get("description", "")
    if isinstance(value, str):
        return value
    return " ".join(d["text"].strip() for d in value)


def description_sources(item: dict) -> list[dict]:
    value = item.get("description", "")
    if isinstance(value, str):
        return []
    return [{"text": d["text"], "article": d["article"], "quote": d["quote"]} for d in value]


def load(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IngestError(f"{path}: catalogue not found") from None
    except json.JSONDecodeError as exc:
        raise IngestError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg})") from None
    slugs = Counter(e.get("slug") for e in data.get("entities", []))
    for slug, n in slugs.items():
        if not slug:
            raise IngestError(f"{path}: an entity has no slug")
        if n > 1:
            raise IngestError(f"{path}: entity slug {slug!r} appears {n} times")
    for e in data["entities"]:
        if e.get("kind") not in EntityKind.values:
            raise IngestError(f"{path}: entity {e['slug']!r} has unknown kind {e.get('kind')!r}")
    for e in data["entities"]:
        if isinstance(e.get("description"), list):
            for n, d in enumerate(e["description"]):
                if not isinstance(d, dict) or not all(
                    isinstance(d.get(k), str) and d.get(k) for k in ("text", "article", "quote")
                ):
                    raise IngestError(
                        f"{path}: entity {e['slug']!r}: description sentence {n + 1} needs "
                        "a text, an article and a quote"
                    )
    for e in data["entities"]:
        if e.get("parent"):
            _check_parent_source(path, e)
    _check_text(path, data)
    return data


def _check_parent_source(path: Path, e: dict) -> None:
    """ "Part of" is a fact like any other: it cites a passage of an article or, where no
    article states it, a public record at an https address."""
    # The catalogue is stricter than an editor: https only, and an article source gives only
    # the article and quote (the import finds their title and paragraph itself).
    source = e.get("parent_source")
    kind = parent_source_kind(source)
    cited = (kind == "record" and source["url"].startswith("https://")) or (
        kind == "article" and set(source) == {"article", "quote"}
    )
    if not cited:
        raise IngestError(
            f"{path}: entity {e['slug']!r}: its parent needs a parent_source: an article and "
            "a quote (nothing else), or a public record's https url and title"
        )


def _limit(model, name: str) -> int:
    return model._meta.get_field(name).max_length


# What each catalogue item's text fields are stored in (the model's own limits: SQLite
# stores anything, PostgreSQL refuses more, so both are checked here).
_ENTITY_LIMITS = {f: _limit(Entity, f) for f in ("slug", "name", "acronym")} | {
    "current_status": _limit(Program, "status")
}
_ALIAS_LIMIT = _limit(Alias, "name")
_RELATIONSHIP_LIMITS = {f: _limit(Relationship, f) for f in ("kind", "amount", "period")}
_STATUS_LIMITS = {f: _limit(ProgramStatus, f) for f in ("status", "note")}


def _check_text(path: Path, data: dict) -> None:
    """No NUL byte anywhere, and no value longer than its column holds: one line each."""

    def walk(value, where: str) -> None:
        if isinstance(value, str) and "\x00" in value:
            raise IngestError(f"{path}: {where} holds a NUL byte (\\x00)")
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{where}.{k}")
        if isinstance(value, list):
            for n, v in enumerate(value):
                walk(v, f"{where}[{n}]")

    def limits(item: dict, table: dict[str, int], where: str) -> None:
        for name, limit in table.items():
            value = item.get(name) or ""
            if isinstance(value, str) and len(value) > limit:
                raise IngestError(
                    f"{path}: {where}: {name} is {len(value)} characters; the limit is {limit}"
                )

    walk(data, "catalogue")
    for e in data["entities"]:
        where = f"entity {e['slug'][:60]!r}"
        limits(e, _ENTITY_LIMITS, where)
        for name in [*e.get("aliases", []), *e.get("acronym_aliases", [])]:
            limits({"alias": name}, {"alias": _ALIAS_LIMIT}, where)
        for claim in e.get("status", []):
            limits(claim, _STATUS_LIMITS, f"{where} status")
    for n, rel in enumerate(data.get("relationships", []), 1):
        limits(rel, _RELATIONSHIP_LIMITS, f"relationship {n}")


def _resolve(slug: str, redirects: dict[str, Entity], entities: dict[str, Entity]) -> Entity | None:
    return redirects.get(slug) or entities.get(slug)


def merged_slugs() -> dict[str, str]:
    """Every slug merged away (EntityRedirect.old_slug) -> the slug of the entity it is now."""
    return dict(EntityRedirect.objects.values_list("old_slug", "entity__slug"))


# Which parts of each kind of Suppression key are entity slugs (see models.Suppression),
# and how many parts the key splits into (an alias's name may itself hold a "|").
_SLUG_PARTS = {"alias": ((0,), 1), "relationship": ((0, 2), 3), "status": ((0,), 3)}


def suppressed(merged: dict[str, str] | None = None) -> dict[str, set[str]]:
    """Catalogue items editors deleted, by kind of item (see models.Suppression), each key
    with its entity slugs read through merges (`merged`, from merged_slugs()): an item
    deleted under either name of a merged entity is gone under both. (An entity's own key
    is its slug as it was: the catalogue asks about each of its slugs itself.)"""
    merged = merged_slugs() if merged is None else merged
    out: dict[str, set[str]] = {w: set() for w in Suppression.What.values}
    for what, key in Suppression.objects.values_list("what", "key"):
        if what in _SLUG_PARTS:
            positions, splits = _SLUG_PARTS[what]
            parts = key.split("|", splits)
            key = Suppression.key_for(
                *(merged.get(p, p) if i in positions else p for i, p in enumerate(parts))
            )
        out[what].add(key)
    return out


def sync_entities(data: dict, stats: Counter) -> dict[str, Entity]:
    """Create or update the catalogue's entities; returns every entity by catalogue slug
    (an entity an editor deleted is left out, and so is everything that names it)."""
    redirects = {r.old_slug: r.entity for r in EntityRedirect.objects.select_related("entity")}
    existing = {e.slug: e for e in Entity.objects.all()}
    # Each stored entity as its own kind (Agency, Contractor, Program): one query per kind,
    # not one per entity (the sync's cost must not grow with the catalogue's queries).
    typed: dict[int, Entity] = {}
    for kind, model in MODEL_FOR_KIND.items():
        typed.update(model.objects.in_bulk([e.pk for e in existing.values() if e.kind == kind]))
    gone = suppressed({old: e.slug for old, e in redirects.items()})
    by_slug: dict[str, Entity] = {}
    for item in data["entities"]:
        slug = item["slug"]
        if slug in gone["entity"] and slug not in existing:
            stats["entities_left_alone"] += 1
            continue
        if slug in redirects:
            # Merged away by an editor: its names now belong to the surviving entity.
            by_slug[slug] = redirects[slug]
            stats["entities_left_alone"] += 1
            continue
        model = MODEL_FOR_KIND[EntityKind(item["kind"])]
        wanted = {
            "name": item["name"],
            "acronym": item.get("acronym", ""),
            "description": description_text(item),
        }
        entity = existing.get(slug)
        if entity is None:
            obj = model.objects.create(slug=slug, kind=item["kind"], **wanted)
            stats["entities_created"] += 1
        else:
            obj = typed.get(entity.pk)
            if entity.kind != item["kind"]:
                obj = _change_kind(entity, model)
                stats["entities_rekinded"] += 1
            elif type(obj) is not model:
                obj = model.objects.get(pk=entity.pk)
            changed, left_alone = obj.sync_from_import(wanted)
            stats["entity_fields_left_alone"] += left_alone
            stats["entities_updated" if changed else "entities_unchanged"] += 1
        by_slug[slug] = obj
    # Parents and aliases need every entity to exist first. A merged-away slug's names
    # belong to the entity it was merged into, so aliases are gathered per surviving entity.
    wanted: dict[int, dict[str, bool]] = {}
    for item in data["entities"]:
        obj = by_slug.get(item["slug"])
        if obj is None:
            continue
        names = wanted.setdefault(obj.pk, {})
        if item["slug"] in redirects:
            names.update(
                {item["name"]: False, **({item["acronym"]: True} if item.get("acronym") else {})}
            )
        names.update(dict(_catalogue_names(item)))
        if item["slug"] in redirects:
            continue
        if item["kind"] == EntityKind.AGENCY:
            parent = (
                _resolve(item.get("parent", ""), redirects, by_slug) if item.get("parent") else None
            )
            if item.get("parent") and parent is None and item["parent"] not in gone["entity"]:
                raise IngestError(
                    f"catalogue: {item['slug']!r} has unknown parent {item['parent']!r}"
                )
            if parent is not None and parent.pk == obj.pk:
                parent = None  # its parent was merged into it
            # Field "parent" (as editors' edited_fields name it) stored as parent_id; its
            # source goes with it (an editor's new parent is not the catalogue's source's).
            if not {"parent", "parent_source"} & set(obj.edited_fields):
                located = (
                    obj.parent_source if _same_source(obj, item) else item.get("parent_source")
                )
                obj.sync_from_import(
                    {
                        "parent_id": parent.pk if parent else None,
                        "parent_source": (located or {}) if parent else {},
                    }
                )
    entities = {e.pk: e for e in by_slug.values()}
    aliases: dict[int, dict[str, Alias]] = {}
    for a in Alias.objects.filter(entity_id__in=list(wanted)):
        aliases.setdefault(a.entity_id, {})[a.name] = a
    for pk, names in wanted.items():
        entity = entities[pk]
        names = {
            n: cs
            for n, cs in names.items()
            if Suppression.key_for(entity.slug, n) not in gone["alias"]
        }
        _sync_aliases(entity, names, stats, aliases.get(pk, {}))
    return by_slug


def _change_kind(entity: Entity, model) -> Entity:
    """Re-file an entity under another kind (a messaging app filed as a contractor becomes a
    program): its Entity row — mentions, aliases, relationships, redirects — stays; only the
    kind's own row is replaced. A former agency's sub-agencies lose it as their parent."""
    old = MODEL_FOR_KIND[EntityKind(entity.kind)]
    if old is Agency:
        Agency.objects.filter(parent_id=entity.pk).update(parent=None)
    if old is Program:
        ProgramStatus.objects.filter(program_id=entity.pk).delete()
    old.objects.filter(pk=entity.pk)._raw_delete(old.objects.db)
    Entity.objects.filter(pk=entity.pk).update(kind=model.KIND)
    entity.refresh_from_db()
    obj = model(entity_ptr=entity)
    for field in Entity._meta.concrete_fields:
        setattr(obj, field.attname, getattr(entity, field.attname))
    obj.save_base(raw=True)
    return model.objects.get(pk=entity.pk)


def _catalogue_names(item: dict) -> list[tuple[str, bool]]:
    names = [(a, False) for a in item.get("aliases", [])]
    names += [(a, True) for a in item.get("acronym_aliases", [])]
    return names


def _sync_aliases(
    entity: Entity, wanted: dict[str, bool], stats: Counter, current: dict[str, Alias]
) -> None:
    wanted = {n: cs for n, cs in wanted.items() if n and n not in (entity.name, entity.acronym)}
    for name, cs in wanted.items():
        alias = current.get(name)
        if alias is None:
            Alias.objects.create(entity=entity, name=name, case_sensitive=cs, origin="catalogue")
            stats["aliases_created"] += 1
        elif alias.origin == Alias.Origin.CATALOGUE and alias.case_sensitive != cs:
            alias.case_sensitive = cs
            alias.save(update_fields=["case_sensitive"])
    # A catalogue alias dropped from the catalogue goes; an editor's alias always stays.
    for name, alias in current.items():
        if alias.origin == Alias.Origin.CATALOGUE and name not in wanted:
            alias.delete()
            stats["aliases_removed"] += 1


def _locate_description_sources(data: dict, by_slug: dict[str, Entity], stats: Counter) -> None:
    """Each sentence of a description with where its page links it: the cited article's
    title and the paragraph (#p-N) that holds its quote, found once here so an entity page
    reads them with the entity (no query). A quote not in its article is refused."""

    def paragraph_index(body: str, offset: int) -> int:
        # The #p-N anchor (as selectors.paragraph_index): the 1-based non-blank paragraph.
        before = body[:offset].split("\n")
        return max(1, sum(1 for p in before[:-1] if p.strip()) + 1)

    cited = {d["article"] for item in data["entities"] for d in description_sources(item)}
    cited |= {
        item["parent_source"]["article"]
        for item in data["entities"]
        if "article" in (item.get("parent_source") or {})
    }
    articles = {
        a.slug: a
        for a in Article.objects.filter(slug__in=cited).only("id", "slug", "title", "body")
    }

    def locate(d: dict, what: str, slug: str) -> dict:
        article = articles.get(d["article"])
        if article is None:
            return d  # its article is not imported (yet)
        offset = article.body.find(d["quote"])
        if offset < 0:
            raise IngestError(
                f"catalogue: {what} of {slug!r}: quote not found in article {article.slug!r}"
            )
        return d | {"title": article.title, "paragraph": paragraph_index(article.body, offset)}

    for item in data["entities"]:
        entity = by_slug.get(item["slug"])
        if entity is None or entity.slug != item["slug"]:
            continue  # deleted, or merged into another entity (whose own entry says)
        parent_source = item.get("parent_source") or {}
        if (
            "article" in parent_source
            and isinstance(entity, Agency)
            and entity.parent_id is not None
            and not {"parent", "parent_source"} & set(entity.edited_fields)
        ):
            located = locate(parent_source, "parent", item["slug"])
            if entity.parent_source != located:
                entity.parent_source = located
                entity.save(update_fields=["parent_source"])
        located = [locate(d, "description", item["slug"]) for d in description_sources(item)]
        if "description" in entity.edited_fields or entity.description_sources == located:
            continue
        entity.description_sources = located
        entity.save(update_fields=["description_sources"])
        stats["descriptions_located"] += 1


def _same_source(agency: Agency, item: dict) -> bool:
    """Whether the agency's stored parent source is the catalogue's (it may also hold where
    the quote was found), so a re-import keeps it as it is."""
    wanted = item.get("parent_source") or {}
    stored = agency.parent_source or {}
    return bool(wanted) and all(stored.get(k) == v for k, v in wanted.items())


def _drop_corrected_relationships(data, by_slug, articles, merged, stats) -> None:
    """A catalogue relationship the catalogue no longer states goes (a correction: "operates"
    became "funds", a contract became a settlement); one an editor made or edited stays (its
    edited_fields are set), like an editor's alias."""
    wanted = set()
    for rel in data.get("relationships", []):
        subject, obj = by_slug.get(rel["subject"]), by_slug.get(rel["object"])
        article = articles.get(rel["article"])
        if subject is not None and obj is not None and article is not None:
            wanted.add((subject.pk, rel["kind"], obj.pk, article.pk))
    stale = [
        r.pk
        for r in Relationship.objects.filter(article__in=list(articles.values())).only(
            "id", "subject_id", "kind", "object_id", "article_id", "edited_fields"
        )
        if not r.edited_fields and (r.subject_id, r.kind, r.object_id, r.article_id) not in wanted
    ]
    if stale:
        Relationship.objects.filter(pk__in=stale).delete()
        stats["relationships_removed"] += len(stale)


def sync_relationships(data: dict, by_slug: dict[str, Entity], stats: Counter) -> None:
    """Relationships and program statuses cite articles, so they load after the articles."""
    # Only the articles the catalogue cites (not the whole archive).
    cited = {r["article"] for r in data.get("relationships", [])} | {
        c["article"] for item in data["entities"] for c in item.get("status", [])
    }
    articles = {
        a.slug: a for a in Article.objects.filter(slug__in=cited).only("id", "slug", "body")
    }
    merged = merged_slugs()
    gone = suppressed(merged)
    # What is stored of the cited articles' relationships and statuses: one query each.
    stored_rels = {
        (r.subject_id, r.kind, r.object_id, r.article_id): r
        for r in Relationship.objects.filter(article__in=list(articles.values()))
    }
    stored_statuses = {
        (st.program_id, st.status, st.year, st.article_id): st
        for st in ProgramStatus.objects.filter(article__in=list(articles.values()))
    }
    programs = Program.objects.in_bulk(
        [e.pk for e in by_slug.values() if e.kind == EntityKind.PROGRAM]
    )
    for rel in data.get("relationships", []):
        subject_slug = merged.get(rel["subject"], rel["subject"])
        object_slug = merged.get(rel["object"], rel["object"])
        key = Suppression.key_for(subject_slug, rel["kind"], object_slug, rel["article"])
        if key in gone["relationship"]:
            stats["relationships_left_alone"] += 1
            continue
        article = articles.get(rel["article"])
        if article is None:
            stats["relationships_skipped"] += 1  # its article is not imported (yet)
            continue
        subject, obj = by_slug.get(rel["subject"]), by_slug.get(rel["object"])
        if subject is None or obj is None:
            if {rel["subject"], rel["object"]} & gone["entity"]:
                continue  # an editor deleted one side
            raise IngestError(f"catalogue: relationship names an unknown entity: {rel}")
        if subject.pk == obj.pk:
            stats["relationships_left_alone"] += 1  # an editor merged one side into the other
            continue
        if rel["quote"] not in article.body:
            raise IngestError(
                f"catalogue: relationship {rel['subject']} {rel['kind']} {rel['object']}: "
                f"quote not found in article {article.slug!r}"
            )
        existing = stored_rels.get((subject.pk, rel["kind"], obj.pk, article.pk))
        if rel.get("second_quote") and rel["second_quote"] not in article.body:
            raise IngestError(
                f"catalogue: relationship {rel['subject']} {rel['kind']} {rel['object']}: "
                f"second quote not found in article {article.slug!r}"
            )
        fields = {
            "amount": rel.get("amount", ""),
            "period": rel.get("period", ""),
            "quote": rel["quote"],
            "second_quote": rel.get("second_quote", ""),
            "collective": bool(rel.get("collective", False)),
            "context": rel.get("context", ""),
        }
        if existing is None:
            stored_rels[(subject.pk, rel["kind"], obj.pk, article.pk)] = (
                Relationship.objects.create(
                    subject=subject, kind=rel["kind"], object=obj, article=article, **fields
                )
            )
            stats["relationships_created"] += 1
            continue
        changed, left_alone = existing.sync_from_import(fields)
        if changed:
            stats["relationships_updated"] += 1
        elif left_alone or existing.edited_fields:
            stats["relationships_left_alone"] += 1
        else:
            stats["relationships_unchanged"] += 1
    _drop_corrected_relationships(data, by_slug, articles, merged, stats)
    _locate_description_sources(data, by_slug, stats)

    for item in data["entities"]:
        history = item.get("status", [])
        program = by_slug.get(item["slug"])
        if program is None:
            continue
        for claim in history:
            article = articles.get(claim["article"])
            key = Suppression.key_for(
                merged.get(item["slug"], item["slug"]),
                claim["status"],
                claim.get("year"),
                claim["article"],
            )
            if article is None or key in gone["status"]:
                continue
            if claim["quote"] not in article.body:
                raise IngestError(
                    f"catalogue: status of {item['slug']!r}: "
                    f"quote not found in article {article.slug!r}"
                )
            status_key = (program.pk, claim["status"], claim.get("year"), article.pk)
            row, created = stored_statuses.get(status_key), False
            if row is None:
                row, created = ProgramStatus.objects.get_or_create(
                    program_id=program.pk,
                    status=claim["status"],
                    year=claim.get("year"),
                    article=article,
                    defaults={"quote": claim["quote"], "note": claim.get("note", "")},
                )
                stored_statuses[status_key] = row
            if created:
                stats["statuses_created"] += 1
            elif (row.quote, row.note) != (claim["quote"], claim.get("note", "")):
                row.quote, row.note = claim["quote"], claim.get("note", "")
                row.save(update_fields=["quote", "note"])
                stats["statuses_updated"] += 1
            else:
                stats["statuses_unchanged"] += 1
        # The current status is derived from the sourced history (its latest claim), so the
        # page's header and history agree; a program with no history keeps an editor's.
        # Only a program's own entry sets it: one merged into it would set it back and forth.
        current = derived_status([(c["status"], c.get("year")) for c in history])
        if current and item["slug"] not in merged:
            row = programs.get(program.pk) or Program.objects.filter(pk=program.pk).first()
            if row and row.sync_from_import({"status": current})[0]:
                stats["entities_updated"] += 1
