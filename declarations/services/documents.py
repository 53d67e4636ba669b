"""Supporting documents: PDF, JPEG or PNG, at most 10 MB, recognised by their content."""

import hashlib

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from portal.exceptions import TransitionNotAllowed
from portal.models import User

from ..choices import EDITABLE, FINAL, DocumentKind
from ..models import SupportingDocument
from .access import declaration_for_trader_update

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
SIGNATURES = [
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
]


def sniff_content_type(head: bytes) -> str | None:
    """The content type the file's first bytes show, whatever its name says; None if not allowed."""
    return next((content_type for magic, content_type in SIGNATURES if head.startswith(magic)), None)


def validate_document_file(upload: UploadedFile) -> str:
    """Raise ValidationError naming the ``file`` field unless the upload is an allowed document."""
    if upload.size > MAX_DOCUMENT_BYTES:
        raise ValidationError(
            {"file": _("The file is %(size).1f MB; the limit is 10 MB.") % {"size": upload.size / 1024 / 1024}}
        )
    upload.seek(0)
    content_type = sniff_content_type(upload.read(16))
    upload.seek(0)
    if content_type is None:
        raise ValidationError(
            {
                "file": _(
                    "Only PDF, JPEG and PNG files are accepted; this file is none of them "
                    "(checked by its content, not its name)."
                )
            }
        )
    return content_type


@transaction.atomic
def document_attach(*, actor: User, declaration_id: int, kind: str, upload: UploadedFile) -> SupportingDocument:
    """Attach a checked document to one of the actor's organisation's declarations that is still open."""
    declaration = declaration_for_trader_update(actor=actor, declaration_id=declaration_id)
    if declaration.status in FINAL:
        raise TransitionNotAllowed(_("Documents cannot be added to a closed declaration."))
    if kind not in DocumentKind.values:
        raise ValidationError({"kind": _("Choose the kind of document.")})
    content_type = validate_document_file(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    document = SupportingDocument(
        declaration=declaration,
        kind=kind,
        original_name=upload.name[:255],
        content_type=content_type,
        size=upload.size,
        sha256=digest.hexdigest(),
        uploaded_by=actor,
    )
    document._history_user = actor
    upload.seek(0)
    document.file.save(upload.name, upload, save=False)
    try:
        document.save()
    except Exception:
        document.file.delete(save=False)  # no row, so no file either
        raise
    return document


@transaction.atomic
def document_remove(*, actor: User, declaration_id: int, document_id: int) -> None:
    """Remove a document from a declaration the trader may still edit."""
    declaration = declaration_for_trader_update(actor=actor, declaration_id=declaration_id)
    if declaration.status not in EDITABLE:
        raise TransitionNotAllowed(_("Documents of a submitted declaration are kept; add a new one instead."))
    document = declaration.documents.filter(pk=document_id).first()
    if document is None:
        raise Http404(_("No such document."))
    document._history_user = actor
    document.delete()
