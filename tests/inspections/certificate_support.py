"""Data for the certificate tests, built through the real services (not a test module itself)."""

from __future__ import annotations

from contextlib import contextmanager

from declarations.choices import Action
from declarations.models import Declaration
from declarations.services import declaration_create_draft, declaration_decide, declaration_submit
from inspections.certificates.services import certificate_issue
from inspections.models import Certificate
from portal.choices import Role
from tests import factories

# Every kind of person, built for a given declaration (an integrated export Shunde → Shekou).
ACTORS = {
    "own trader": lambda d: factories.UserFactory(role=Role.TRADER_STAFF, organisation=d.declarant),
    "other trader": lambda d: factories.trader(),
    "officer of the clearance port": lambda d: factories.customs_officer(ports=("CNSUD",)),
    "officer of the transfer port": lambda d: factories.customs_officer(ports=("CNSHK",)),
    "officer of an unrelated port": lambda d: factories.customs_officer(ports=("CNNSA",)),
    "supervisor of both ports": lambda d: factories.customs_supervisor(ports=("CNSUD", "CNSHK")),
    "supervisor of an unrelated port": lambda d: factories.customs_supervisor(ports=("CNNSA",)),
    "bank officer": lambda d: factories.bank_officer(),
    "logistics system": lambda d: factories.logistics_system(),
}
MAY_ISSUE = {"officer of the clearance port", "officer of the transfer port", "supervisor of both ports"}
MAY_SEE = MAY_ISSUE | {"own trader"}


def released_declaration(*, items: int = 2, trader=None) -> Declaration:
    """An integrated export, submitted and released by an officer of Shunde."""
    trader = trader or factories.trader()
    draft = declaration_create_draft(actor=trader, **factories.declaration_input(items=items, containers=1))
    declaration_submit(actor=trader, declaration_id=draft.pk)
    officer = factories.customs_officer(ports=("CNSUD",))
    return declaration_decide(actor=officer, declaration_id=draft.pk, action=Action.RELEASE)


def issued_certificate(
    declaration: Declaration, *, officer=None, kind: str = "phytosanitary", items=None
) -> Certificate:
    officer = officer or factories.customs_officer(ports=("CNSUD",))
    item_ids = [item.pk for item in (items or declaration.items.all())]
    return certificate_issue(
        actor=officer,
        declaration_id=declaration.pk,
        kind=kind,
        item_ids=item_ids,
        remarks="Fumigated with methyl bromide",
    )


@contextmanager
def tasks_run_in_process():
    """Run Celery tasks (the PDF rendering) in the committing thread instead of the broker.

    For transactional tests that do not ask for the ``celery_worker`` fixture: the rendering
    then happens before the test's assertions instead of waiting in the broker's queue.
    """
    from portal.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = previous
