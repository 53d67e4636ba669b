"""Every write to declarations goes through these services."""

from .documents import document_attach, document_remove
from .drafts import declaration_copy, declaration_create_draft, declaration_update_draft
from .workflow import (
    clearance_port,
    declaration_amend,
    declaration_cancel,
    declaration_decide,
    declaration_file,
    declaration_submit,
    declaration_system_transition,
)

__all__ = [
    "clearance_port",
    "declaration_amend",
    "declaration_cancel",
    "declaration_copy",
    "declaration_create_draft",
    "declaration_decide",
    "declaration_file",
    "declaration_submit",
    "declaration_system_transition",
    "declaration_update_draft",
    "document_attach",
    "document_remove",
]
