"""The search page's and API's parameters, validated by django-filter.

    q, agency, contractor, program, organization (several values: any of them; different
    facets: all),
    published_after, published_before, publication, sort, page

The FilterSet is used for what it does well — parsing and validating the URL into typed
values with clear error messages, and rendering the filter form; the search engine does the
matching (a FilterSet queryset cannot express FTS5 MATCH or bm25 ranking).
"""

import django_filters
from django import forms
from django.core.exceptions import ValidationError

from .models import Article, Entity, EntityKind
from .search import SORTS, Filters


def without_nuls(params):
    """A copy of a QueryDict with NULs stripped from every value: browsers and bots send
    them, and every reader of a search's parameters (the filters, the chips' links) must
    read the same values."""
    params = params.copy()
    for key in list(params):
        params.setlist(key, [v.replace("\x00", "") for v in params.getlist(key)])
    return params


def _entity_filter(kind: EntityKind):
    return django_filters.ModelMultipleChoiceFilter(
        queryset=Entity.objects.filter(kind=kind),
        to_field_name="slug",
        label=kind.plural.capitalize(),
        method="noop",
    )


class SearchForm(forms.Form):
    def clean(self):
        data = super().clean()
        after, before = data.get("published_after"), data.get("published_before")
        if after and before and after > before:
            # Said plainly: an empty result list would look like "nothing was reported".
            raise ValidationError(
                f'The dates are reversed: "from" ({after:%-d %B %Y}) is after "to" '
                f"({before:%-d %B %Y}), so no article can match. Swap them to search between "
                "those dates."
            )
        return data


class SearchFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="noop", label="Search")
    agency = _entity_filter(EntityKind.AGENCY)
    contractor = _entity_filter(EntityKind.CONTRACTOR)
    program = _entity_filter(EntityKind.PROGRAM)
    organization = _entity_filter(EntityKind.ORGANIZATION)
    published_after = django_filters.DateFilter(
        method="noop", label="Published from", widget=forms.DateInput(attrs={"type": "date"})
    )
    published_before = django_filters.DateFilter(
        method="noop", label="Published to", widget=forms.DateInput(attrs={"type": "date"})
    )
    publication = django_filters.CharFilter(method="noop")
    sort = django_filters.ChoiceFilter(
        choices=[(s, s.capitalize()) for s in SORTS], method="noop", empty_label=None
    )

    class Meta:
        model = Article
        fields: list[str] = []
        form = SearchForm

    def noop(self, queryset, name, value):
        return queryset

    def search_args(self) -> dict:
        """Cleaned values as keyword arguments for archive.search.search()."""
        data = self.form.cleaned_data
        return {
            "text": data.get("q") or "",
            "sort": data.get("sort") or "relevance",
            "filters": Filters(
                entity_ids={k.value: [e.pk for e in data.get(k.value) or []] for k in EntityKind},
                published_after=data.get("published_after"),
                published_before=data.get("published_before"),
                publication=data.get("publication") or "",
            ),
        }

    def errors_text(self) -> str:
        return "; ".join(
            " ".join(errs) if field == "__all__" else f"{field}: {' '.join(errs)}"
            for field, errs in self.form.errors.items()
        )

    def active_filters(self) -> list[tuple[str, str, str]]:
        """The chosen filters as (parameter, value, label), labels in words a reader knows:
        the entity's name, not its address."""
        data = self.form.cleaned_data
        chosen = [
            (kind.value, e.slug, f"{kind.label}: {e.name}")
            for kind in EntityKind
            for e in data.get(kind.value) or []
        ]
        if data.get("publication"):
            chosen.append(
                ("publication", data["publication"], f"Publication: {data['publication']}")
            )
        for name, word in (("published_after", "From"), ("published_before", "To")):
            if data.get(name):
                chosen.append((name, self.data.get(name), f"{word} {data[name]:%-d %B %Y}"))
        return chosen
