"""What the load benchmark deletes between runs (``bench_load.purge_load_rows``): its own rows and the notifications
left pointing at deleted rows, and nothing else — the benchmark database holds other modules' data."""

import pytest
from django.db import connection
from django.urls import reverse

from declarations.models import Declaration
from declarations.services import declaration_create_draft
from portal.models import Notification
from portal.services import notification_send
from tests import factories
from tests.benchmarks.bench_load import purge_load_rows

pytestmark = [
    pytest.mark.django_db(transaction=True),  # VACUUM runs outside a transaction
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the purge is PostgreSQL's (VACUUM, regex links)"),
]


def draft(actor, document: str) -> Declaration:
    return declaration_create_draft(actor=actor, **factories.declaration_input(transport_document_number=document))


def test_the_load_rows_and_the_notifications_left_pointing_at_deleted_rows_go_and_nothing_else():
    trader, officer = factories.trader(), factories.customs_officer()
    load, kept = draft(trader, "LD-BL-000000001"), draft(trader, "BL-KEPT-1")
    # The links as the portal builds them: a change of its URLs that the purge's patterns miss fails here.
    links = {
        "load declaration": reverse("declarations:detail", args=[load.pk]),
        "kept declaration": reverse("declarations:detail", args=[kept.pk]),
        "deleted earlier": reverse("declarations:detail", args=[kept.pk + 1000]),
        "deleted financing request": reverse("finance:bank_request_detail", args=[987654]),
        "deleted financing request, trader's page": reverse("finance:request_detail", args=[987654]),
        "no row": reverse("about-verification"),
        "no link": "",
    }
    for subject, link in links.items():
        notification_send(recipients=[officer], subject=subject, link=link)

    purge_load_rows()

    assert not Declaration.objects.filter(pk=load.pk).exists()
    assert Declaration.objects.filter(pk=kept.pk).exists()
    left = set(Notification.objects.filter(recipient=officer).values_list("subject", flat=True))
    assert left == {"kept declaration", "no row", "no link"}
