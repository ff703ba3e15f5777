"""What the archive's admins share. They translate forms and requests into curation calls
(archive.curation holds every rule and writes the history) and results into messages."""

from django import forms
from django.contrib import admin, messages
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from .. import curation
from ..models import Mention, RelinkJob

VISIBLE = Mention.visible_q("mentions__")
# Actions offered both on the list and on an object's own change form (Django 6.1).
LIST_AND_FORM = [admin.ActionLocation.CHANGE_LIST, admin.ActionLocation.CHANGE_FORM]


def job_message(job: RelinkJob) -> tuple[str, int]:
    """What the editor is told about a relink of every article, and how loudly."""
    link = format_html(
        '<a href="{}">relink job #{}</a>',
        reverse("admin:archive_relinkjob_change", args=[job.pk]),
        job.pk,
    )
    if job.status == RelinkJob.Status.DONE:
        return format_html(
            "Every article was relinked ({}). {}", link, job.result
        ), messages.SUCCESS
    if job.status == RelinkJob.Status.FAILED:
        return format_html(
            "Relinking every article failed ({}): {}", link, job.result
        ), messages.ERROR
    return (
        format_html(
            'Relinking every article is under way ({}). <a href="{}">Relink jobs</a> shows '
            "when it is done, and you will be told here.",
            link,
            reverse("admin:archive_relinkjob_changelist"),
        ),
        messages.INFO,
    )


class ArchiveAdmin(admin.ModelAdmin):
    """Every archive admin: shows curation's results, and tells the editor on their next
    page that a relink they asked for has finished."""

    class Media:
        js = ["archive/admin-a11y.js"]  # names the autocomplete boxes (see the file)

    def report(self, request, result: curation.Result) -> None:
        if result.message:
            self.message_user(request, result.message)
        for warning in result.warnings:
            self.message_user(request, warning, messages.WARNING)
        if result.job is not None:
            self.message_user(request, *job_message(result.job))

    def announce_relinks(self, request) -> None:
        for job in curation.finished_jobs_to_announce(request.user):
            self.message_user(request, *job_message(job))

    def changelist_view(self, request, extra_context=None):
        self.announce_relinks(request)
        return super().changelist_view(request, extra_context)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        self.announce_relinks(request)
        return super().changeform_view(request, object_id, form_url, extra_context)


class CurationAdmin(ArchiveAdmin):
    """An admin whose saves and deletions are curation actions: `save_action` saves the
    change form (with its inlines) and applies the rules; curation writes the history."""

    save_action = None  # each admin names its own: staticmethod(curation.save_...)

    def get_changelist_form(self, request, **kwargs):
        base = super().get_changelist_form(request, **kwargs)

        class Labelled(base):
            # The change list's editable column (a mention's state): one name per row.
            def __init__(self, *args, **kw):
                super().__init__(*args, **kw)
                label_widgets(self, str(self.instance) if self.instance.pk else "a new row")

        return Labelled

    def save_model(self, request, obj, form, change):
        """Saved with its inline rows by one curation action, in save_related."""

    def save_related(self, request, form, formsets, change):
        related = []
        for formset in formsets:
            formset.save(commit=False)  # collects what changed; curation saves it
            related.append(
                curation.Rows(formset.new_objects, formset.changed_objects, formset.deleted_objects)
            )
        result = self.save_action(
            form.instance, form.changed_data, request.user, created=not change, related=related
        )
        form.save_m2m()
        for formset in formsets:
            formset.save_m2m()
        self.report(request, result)

    def delete_model(self, request, obj):
        self.report(request, curation.delete_items([obj], request.user))

    def delete_queryset(self, request, queryset):
        self.report(request, curation.delete_items(queryset, request.user))

    # The curation action logged the change already (once, in archive.curation.history).
    def log_addition(self, request, obj, message):
        pass

    def log_change(self, request, obj, message):
        pass

    def log_deletions(self, request, queryset):
        pass

    @admin.action(description="Hand the edited fields back to the import", location=LIST_AND_FORM)
    def release_fields(self, request, queryset):
        self.report(request, curation.release_fields(queryset, request.user))

    @admin.display(description="edited")
    def edited_list(self, obj):
        return ", ".join(obj.edited_fields or []) or "—"


# A change list shows a long title or passage cut short, so the columns after it (a
# mention's state, a candidate's) stay on a 1280-pixel screen; the whole text is one click
# away, on the row's own page.
LIST_TEXT_CHARS = 70


def clip(text: str, limit: int = LIST_TEXT_CHARS) -> str:
    """`text` on one line, cut at a word to at most `limit` characters (… marks a cut)."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:–—-") + "…"


class ArticleTitleColumn:
    """The article of each row by its title, cut short (an admin lists "article_title")."""

    @admin.display(description="article", ordering="article__title")
    def article_title(self, obj):
        return clip(obj.article.title) if obj.article_id else "—"


CONTEXT_CHARS = 60  # of the article's words shown either side of a mention


def _around(body: str, start: int, end: int) -> tuple[str, str, str]:
    """The words before the mention, the mention, the words after (cut at word edges)."""
    before = body[max(0, start - CONTEXT_CHARS) : start]
    after = body[end : end + CONTEXT_CHARS]
    if start > CONTEXT_CHARS and " " in before:
        before = "…" + before.split(" ", 1)[1]
    if end + CONTEXT_CHARS < len(body) and " " in after:
        after = after.rsplit(" ", 1)[0] + "…"
    return before.replace("\n", " "), body[start:end], after.replace("\n", " ")


def spans_display(obj):
    """Where the article names the entity, in its own words: an editor reads the sentence
    around each mention, not character offsets."""
    spans = obj.spans or []
    if not spans:
        return "—"
    body = obj.article.body if obj.article_id else ""
    shown = [(s, e) for s, e in spans[:8] if 0 <= s < e <= len(body)]
    joined = format_html_join(
        "", "<p class=\"mention-context\">{}<strong>{}</strong>{}</p>",
        (_around(body, s, e) for s, e in shown),
    )  # fmt: skip
    more = f"and {len(spans) - 8} more" if len(spans) > 8 else ""
    return format_html("{}{}", joined, more)


def label_widgets(form, row: str) -> None:
    """Give every visible input of `form` an accessible name: in a table (inline rows, the
    change list's editable column) the column header is not a label, so a screen reader
    would announce "edit text" or "combo box" with no word of what it is."""
    for name, field in form.fields.items():
        if not field.widget.is_hidden:
            label = field.label or name.replace("_", " ")
            field.widget.attrs["aria-label"] = f"{str(label).capitalize()} of {row}"


class LabelledInlineFormSet(BaseInlineFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)  # adds DELETE and the key: label them too
        row = str(form.instance) if form.instance.pk else f"new row {(index or 0) + 1}"
        label_widgets(form, row)


class LabelledTabularInline(admin.TabularInline):
    """A tabular inline whose inputs each say what they are and which row they belong to."""

    formset = LabelledInlineFormSet


class MentionInline(LabelledTabularInline):
    """The mentions on an article's page (each names an entity) or an entity's."""

    model = Mention
    extra = 0
    readonly_fields = ["origin", "where"]
    show_change_link = True
    other = "entity"  # the end the rows pick: "entity" on an article's page, or "article"

    def get_fields(self, request, obj=None):
        return [self.other, "count", "origin", "state", "where"]

    def get_autocomplete_fields(self, request):
        return [self.other]

    def get_queryset(self, request):
        # Both ends: each row's label (Mention.__str__) names the entity and the article.
        return super().get_queryset(request).select_related("entity", "article")

    @admin.display(description="where in the text")
    def where(self, obj):
        return spans_display(obj)


class EditedFilter(admin.SimpleListFilter):
    title = "edited by an editor"
    parameter_name = "edited"

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(edited_fields=[])
        if self.value() == "no":
            return queryset.filter(edited_fields=[])
        return queryset


class QuoteForm(forms.ModelForm):
    """A sourced claim; curation says what is wrong with it (a quote not the article's own
    words, a relationship of an entity with itself)."""

    def clean(self):
        data = super().clean()
        # In an entity's inline the subject is the entity the form belongs to.
        values = {"subject": getattr(self.instance, "subject", None), **data}
        for name, message in curation.claim_errors(values).items():
            self.add_error(name, message)
        return data
