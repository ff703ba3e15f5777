from .articles import Article
from .curation import Candidate, EntityRedirect, Suppression
from .entities import Agency, Alias, Contractor, Entity, EntityKind, Program, ProgramStatus
from .links import Mention, Relationship

__all__ = [
    "Agency",
    "Alias",
    "Article",
    "Candidate",
    "Contractor",
    "Entity",
    "EntityKind",
    "EntityRedirect",
    "Mention",
    "Program",
    "ProgramStatus",
    "Relationship",
    "Suppression",
]
