"""The editors' admin, a module a group of models. Each admin translates forms and requests
into archive.curation's actions, which hold every editor rule and write the history, and
turns their results into messages.

base.py        what every admin shares: curation-calling saves and deletes, messages
articles.py    articles (and the mentions inlined on them)
entities.py    entities of each kind, their inlines, and merging
links.py       aliases, mentions, relationships, program statuses
candidates.py  candidate entities: the review queue
records.py     suppressions, redirects and relink jobs
"""

from django.contrib import admin

from . import articles, candidates, entities, links, records

admin.site.site_header = "Surveillance archive"
admin.site.site_title = "Surveillance archive"
admin.site.index_title = "Curation"
# Django's app list beside every page took a quarter of a 1280-pixel screen, pushing the
# change lists' last columns (a mention's state) out of sight; the breadcrumbs and the
# index page lead to every list as well.
admin.site.enable_nav_sidebar = False

__all__ = ["articles", "candidates", "entities", "links", "records"]
