"""Editors' curation: every rule for what an editor's change does, one function an action.

The admin (or a shell, or a management command) calls these; each takes the object(s),
what changed and the user, runs in one transaction, applies the rules, logs once in the
admin history and returns a Result the caller shows the editor (or a CurationError).

edits.py       saving and deleting what the forms change; list actions (states, reviewed,
               handing fields back to the import); the checks the forms show
merge.py       merging duplicate entities, and whether they may merge
candidates.py  approving candidate entities (as new entities or aliases), rejecting them
relink.py      relinking articles now, or every article outside the request (RelinkJob)
history.py     the admin history, written only here
results.py     Result and CurationError

Depends on models, names and ingest (for the linker's writes); never on the admin,
search, views or selectors.
"""

from .candidates import (
    approve_as_aliases,
    approve_candidate_as_alias,
    approve_candidates,
    candidate_errors,
    reject_candidates,
    save_candidate,
)
from .edits import (
    Rows,
    claim_errors,
    delete_items,
    delete_rejects,
    fixed_fields,
    mark_reviewed,
    release_fields,
    save_alias,
    save_article,
    save_entity,
    save_mention,
    save_program_status,
    save_relationship,
    set_mention_state,
    suppress,
)
from .merge import MergePlan, MergeResult, merge_entities, plan_merge
from .relink import (
    finished_jobs_to_announce,
    queue_relink,
    relink_articles,
    relink_everything,
    relink_selected,
    run_job,
    run_pending,
)
from .results import CurationError, Result

__all__ = [
    "CurationError",
    "MergePlan",
    "MergeResult",
    "Result",
    "Rows",
    "approve_as_aliases",
    "approve_candidate_as_alias",
    "approve_candidates",
    "candidate_errors",
    "claim_errors",
    "delete_items",
    "delete_rejects",
    "finished_jobs_to_announce",
    "fixed_fields",
    "mark_reviewed",
    "merge_entities",
    "plan_merge",
    "queue_relink",
    "reject_candidates",
    "release_fields",
    "relink_articles",
    "relink_everything",
    "relink_selected",
    "run_job",
    "run_pending",
    "save_alias",
    "save_article",
    "save_candidate",
    "save_entity",
    "save_mention",
    "save_program_status",
    "save_relationship",
    "set_mention_state",
    "suppress",
]
