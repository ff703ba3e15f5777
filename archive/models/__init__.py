"""The archive's data. Words used throughout the code for "an editor touched it":

- origin          who made a row: the linker or the catalogue, or an editor (Mention, Alias)
- state           an editor's decision on something the machine proposed
                  (Mention: auto/confirmed/rejected; Candidate: pending/approved/rejected)
- edited_fields   which fields of an imported row an editor set (Curated: Article, Entity,
                  Relationship); the import never overwrites them
- status          the lifecycle of a thing in the world or a job (Program, RelinkJob)
- candidate       a name discovery found that the catalogue lacks (Candidate)
- visible         a mention that is not rejected (Mention.visible_q / visible_sql)
"""

from .articles import Article
from .curation import ArchiveState, Candidate, EntityRedirect, RelinkJob, Suppression
from .entities import (
    Agency,
    Alias,
    Contractor,
    Entity,
    EntityKind,
    Organization,
    Program,
    ProgramStatus,
    derived_status,
)
from .imports import ImportedFile as ImportedFile  # the import's own records
from .imports import ImportRun as ImportRun
from .links import Mention, Relationship

__all__ = [
    "Agency",
    "ArchiveState",
    "Alias",
    "Article",
    "Candidate",
    "Contractor",
    "Entity",
    "EntityKind",
    "EntityRedirect",
    "Mention",
    "Organization",
    "Program",
    "ProgramStatus",
    "Relationship",
    "RelinkJob",
    "Suppression",
    "derived_status",
]
