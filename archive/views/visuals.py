"""The relationship map (/map/) and the archive's timeline (/timeline/): thin views over
archive.visuals, public pages like the others (conditional GET, kept per URL)."""

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from .. import selectors
from ..models import Relationship
from ..visuals import graph, timeline
from .caching import archive_version, public_page


@require_safe
@public_page
def relationship_map(request):
    """?kind= a kind of relationship, ?entity= an entity's slug (its neighbourhood)."""
    kind = (request.GET.get("kind") or "").strip() or None
    slug = (request.GET.get("entity") or "").strip()
    context = {"kinds": Relationship.Kind.choices, "chosen_kind": kind or "", "slug": slug}
    if kind is not None and kind not in Relationship.Kind.values:
        context["message"] = "kind: not a kind of relationship; choose one from the list."
        return render(request, "archive/map.html", context, status=400)
    entity = None
    if slug:
        entity, moved_to = selectors.entity_by_slug(slug)
        if moved_to is not None:  # merged into another: its address moved
            params = {"entity": moved_to.slug} | ({"kind": kind} if kind else {})
            return redirect(reverse("map") + "?" + urlencode(params), permanent=True)
        if entity is None:
            raise Http404("No entity with that address.")
    context["map"] = graph.relationship_map(kind, entity, archive_version(request))
    return render(request, "archive/map.html", context)


@require_safe
@public_page
def archive_timeline(request):
    return render(
        request,
        "archive/timeline.html",
        {"timeline": timeline.archive_timeline(archive_version(request))},
    )
