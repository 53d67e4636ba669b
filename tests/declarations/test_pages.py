"""Trader pages: the declaration form and its error summary, list, detail, actions, documents,
import, receipt and home lists, each through the test client as a browser would use them."""

import csv
import io
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from declarations.choices import Action, Status
from declarations.models import Declaration
from declarations.services import declaration_create_draft, declaration_decide, declaration_submit
from portal.choices import Role
from tests import factories

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def form_data(data: dict, *, deleted_items: tuple[int, ...] = ()) -> dict:
    """The POST body the declaration form sends for a services-style input."""
    post = {name: "" if value is None else value for name, value in data["header"].items()}
    for prefix, rows in (("items", data["items"]), ("containers", data["containers"])):
        post[f"{prefix}-TOTAL_FORMS"] = str(len(rows))
        post[f"{prefix}-INITIAL_FORMS"] = "0"
        for index, row in enumerate(rows):
            for name, value in row.items():
                post[f"{prefix}-{index}-{name}"] = "" if value is None else str(value)
    for index in deleted_items:
        post[f"items-{index}-DELETE"] = "on"
    return post


def summary_links(html: str) -> list[tuple[str, str]]:
    """(href, text) of every link in the page's error summary."""
    match = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    assert match, "the page has no error summary"
    return [
        (href, re.sub(r"<[^>]+>", "", text))
        for href, text in re.findall(r'<a href="([^"]*)">(.*?)</a>', match.group(0), re.S)
    ]


def own_trader(declaration: Declaration):
    return factories.UserFactory(role=Role.TRADER_STAFF, organisation=declaration.declarant)


@pytest.fixture
def trader_client(client, trader):
    client.force_login(trader)
    return client


def submitted(trader, **kwargs) -> Declaration:
    declaration = declaration_create_draft(actor=trader, **factories.declaration_input(items=1, containers=1, **kwargs))
    return declaration_submit(actor=trader, declaration_id=declaration.pk)


# --- The form: every rule, with the exact input named in the error summary -----------------------------------


def _set(data: dict, path: str, value) -> dict:
    section, *rest = path.split(".")
    if section == "header":
        data["header"][rest[0]] = value
    else:
        data[section][int(rest[0])][rest[1]] = value
    return data


RULES = [
    # (what the trader types, the input the summary must link to, words of the message)
    ({"containers.0.number": "CSQU3054384"}, "id_containers-0-number", "it must be 3"),
    ({"containers.0.number": "CSQ3054383"}, "id_containers-0-number", "is not a container number"),
    ({"containers.1.number": "CSQU3054383"}, "id_containers-1-number", "already declared on line 1"),
    (
        {"containers.0.temperature_min": "5", "containers.0.temperature_max": "-5"},
        "id_containers-0-temperature_max",
        "highest temperature is below the lowest",
    ),
    ({"items.0.hs_code": "999999"}, "id_items-0-hs_code", "is not in the tariff"),
    ({"items.0.hs_code": "9403"}, "id_items-0-hs_code", "more detailed codes"),
    ({"items.1.origin_country": "XX"}, "id_items-1-origin_country", "not an ISO 3166 country code"),
    ({"items.0.gross_mass": "0"}, "id_items-0-gross_mass", "greater than zero"),
    ({"items.0.net_mass": "1300"}, "id_items-0-net_mass", "cannot exceed gross mass"),
    ({"items.0.quantity": "0"}, "id_items-0-quantity", "greater than zero"),
    ({"items.0.quantity": "forty"}, "id_items-0-quantity", "Enter a number"),
    ({"items.0.packages": "0"}, "id_items-0-packages", "At least one package"),
    ({"items.0.value": "-1"}, "id_items-0-value", "Must not be negative"),
    ({"items.0.value": "10.005"}, "id_items-0-value", "two decimal places"),
    ({"items.1.description": ""}, "id_items-1-description", "This field is required"),
    ({"containers.0.seal_number": ""}, "id_containers-0-seal_number", "This field is required"),
    ({"header.transfer_port": "CNSUD"}, "id_transfer_port", "must differ from the origin port"),
    ({"header.transfer_port": "NLRTM"}, "id_transfer_port", "not an integrated port pair"),
    ({"header.procedure": "standard"}, "id_transfer_port", "A standard declaration has no transfer port"),
    ({"header.consignee_country": "XX"}, "id_consignee_country", "Select a valid choice"),
    ({"header.invoice_currency": "XYZ"}, "id_invoice_currency", "Select a valid choice"),
    ({"header.origin_port": "ZZZZZ"}, "id_origin_port", "Select a valid choice"),
]


@pytest.mark.parametrize(("changes", "anchor", "words"), RULES, ids=[rule[1] + ":" + rule[2] for rule in RULES])
def test_every_rule_is_named_on_its_input_in_the_error_summary(trader_client, changes, anchor, words):
    data = factories.declaration_input(items=2, containers=2)
    for path, value in changes.items():
        _set(data, path, value)
    response = trader_client.post(reverse("declarations:create"), form_data(data))
    html = response.content.decode()
    assert response.status_code == 200
    links = summary_links(html)
    assert any(href == f"#{anchor}" and words in text for href, text in links), links
    assert f'id="{anchor}"' in html  # the link lands on a real input
    assert re.search(rf'<p class="error" id="{anchor[3:]}_error">[^<]*{re.escape(words)}', html) or words in html
    assert not Declaration.objects.exists()  # nothing half-saved


def test_errors_of_a_row_after_a_removed_row_land_on_that_row(trader_client):
    data = factories.declaration_input(items=3, containers=1)
    data["items"][0]["hs_code"] = "123"  # removed by the trader, so not checked
    data["items"][2]["hs_code"] = "999999"
    response = trader_client.post(reverse("declarations:create"), form_data(data, deleted_items=(0,)))
    links = summary_links(response.content.decode())
    assert [href for href, _text in links] == ["#id_items-2-hs_code"]


def test_a_valid_draft_is_saved_and_removed_rows_are_dropped(trader_client, trader):
    data = factories.declaration_input(items=3, containers=2)
    response = trader_client.post(reverse("declarations:create"), {**form_data(data, deleted_items=(1,)), "save": "1"})
    declaration = Declaration.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("declarations:edit", args=[declaration.pk])
    assert declaration.status == Status.DRAFT and declaration.declarant == trader.organisation
    assert [item.description for item in declaration.items.all()] == [
        "Wooden dining table, model 0",
        "Wooden dining table, model 2",
    ]
    assert list(declaration.containers.values_list("number", flat=True)) == ["CSQU3054383", "MSKU1234565"]
    assert declaration.total_value == Decimal("17600.00")


def test_an_incomplete_draft_can_be_saved(trader_client):
    post = form_data(
        {
            "header": {"direction": "export", "procedure": "integrated", "origin_port": "CNSUD"},
            "items": [],
            "containers": [],
        }
    )
    assert trader_client.post(reverse("declarations:create"), post).status_code == 302
    assert Declaration.objects.get().origin_port.locode == "CNSUD"


def test_add_another_row_without_javascript_keeps_what_was_typed_and_saves_nothing(trader_client):
    data = factories.declaration_input(items=1, containers=1)
    response = trader_client.post(reverse("declarations:create"), {**form_data(data), "add_item": "1"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="items-TOTAL_FORMS" value="2"' in html
    assert 'id="id_items-1-hs_code"' in html
    assert 'value="Wooden dining table, model 0"' in html
    assert "error-summary" not in html
    assert not Declaration.objects.exists()


def test_edit_shows_stored_rows_and_saves_changes(trader_client, draft):
    html = trader_client.get(reverse("declarations:edit", args=[draft.pk])).content.decode()
    assert 'value="CSQU3054383"' in html and 'value="MSKU1234565"' in html
    data = factories.declaration_input(items=1, containers=1, transport_document_number="NEWBL42")
    response = trader_client.post(reverse("declarations:edit", args=[draft.pk]), form_data(data))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.transport_document_number == "NEWBL42" and draft.item_count == 1


def test_save_and_review_then_submit(trader_client, draft):
    data = factories.declaration_input(items=2, containers=2)
    response = trader_client.post(reverse("declarations:edit", args=[draft.pk]), {**form_data(data), "review": "1"})
    assert response["Location"] == reverse("declarations:review", args=[draft.pk])
    html = trader_client.get(response["Location"]).content.decode()
    assert "Back to edit" in html and "error-summary" not in html
    assert f'action="{reverse("declarations:submit", args=[draft.pk])}"' in html
    response = trader_client.post(reverse("declarations:submit", args=[draft.pk]))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Status.SUBMITTED and draft.reference.startswith("CNSUD-")


@pytest.mark.parametrize(
    ("header", "anchor", "words"),
    [
        ({"transport_document_number": ""}, "#id_transport_document_number", "required before the declaration"),
        ({"consignee_name": ""}, "#id_consignee_name", "required before the declaration"),
        ({"transfer_port": None}, "#id_transfer_port", "needs the other port of the pair"),
    ],
)
def test_submit_rules_link_to_the_edit_form(trader_client, trader, header, anchor, words):
    draft = declaration_create_draft(actor=trader, **factories.declaration_input(**header))
    edit = reverse("declarations:edit", args=[draft.pk])
    for response in (
        trader_client.get(reverse("declarations:review", args=[draft.pk])),
        trader_client.post(reverse("declarations:submit", args=[draft.pk])),
    ):
        links = summary_links(response.content.decode())
        assert any(href == edit + anchor and words in text for href, text in links), links
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_submit_without_items_or_containers_names_the_sections(trader_client, trader):
    data = factories.declaration_input(items=0, containers=0)
    draft = declaration_create_draft(actor=trader, **data)
    links = summary_links(trader_client.post(reverse("declarations:submit", args=[draft.pk])).content.decode())
    edit = reverse("declarations:edit", args=[draft.pk])
    hrefs = [href for href, _text in links]
    assert edit + "#section-items" in hrefs and edit + "#section-containers" in hrefs


def test_amendment_shows_the_officers_message_and_resubmits(trader_client, trader):
    declaration = submitted(trader)
    officer = factories.customs_officer(ports=("CNSUD",))
    declaration_decide(
        actor=officer,
        declaration_id=declaration.pk,
        action=Action.REQUEST_AMENDMENT,
        message="Please attach the packing list and correct the seal number.",
    )
    html = trader_client.get(reverse("declarations:edit", args=[declaration.pk])).content.decode()
    assert "Please attach the packing list and correct the seal number." in html
    data = factories.declaration_input(items=1, containers=1)
    data["containers"][0]["seal_number"] = "NEWSEAL1"
    response = trader_client.post(
        reverse("declarations:edit", args=[declaration.pk]), {**form_data(data), "review": "1"}
    )
    review = trader_client.get(response["Location"]).content.decode()
    assert reverse("declarations:resubmit", args=[declaration.pk]) in review
    trader_client.post(reverse("declarations:resubmit", args=[declaration.pk]))
    declaration.refresh_from_db()
    assert declaration.status == Status.RESUBMITTED and declaration.version == 2
    assert declaration.containers.get().seal_number == "NEWSEAL1"


def test_a_submitted_declaration_cannot_be_edited(trader_client, trader):
    declaration = submitted(trader)
    response = trader_client.get(reverse("declarations:edit", args=[declaration.pk]), follow=True)
    assert "can no longer be changed" in response.content.decode()


def test_a_stale_action_becomes_an_error_message(trader_client, trader):
    declaration = submitted(trader)
    response = trader_client.post(reverse("declarations:submit", args=[declaration.pk]), follow=True)
    assert "cannot be submit" in response.content.decode() or "cannot be" in response.content.decode()
    assert 'class="message message-error"' in response.content.decode()


# --- Detail, actions, copy, receipt ---------------------------------------------------------------------------


def test_detail_shows_status_route_items_timeline_and_only_allowed_actions(trader_client, draft):
    html = trader_client.get(reverse("declarations:detail", args=[draft.pk])).content.decode()
    for text in (
        "Draft",
        "CNSUD",
        "CNSHK",
        "Wooden dining table, model 1",
        "CSQU3054383",
        "Draft created",
        "Verification warnings appear here once verification runs.",
    ):
        assert text in html
    assert reverse("declarations:submit", args=[draft.pk]) in html
    assert reverse("declarations:cancel", args=[draft.pk]) in html
    assert reverse("declarations:resubmit", args=[draft.pk]) not in html
    assert html.count('name="csrfmiddlewaretoken"') >= 4


def test_cancel_with_a_reason_appears_in_the_timeline(trader_client, trader):
    declaration = submitted(trader)
    trader_client.post(reverse("declarations:cancel", args=[declaration.pk]), {"reason": "Order withdrawn"})
    declaration.refresh_from_db()
    assert declaration.status == Status.CANCELLED
    html = trader_client.get(reverse("declarations:detail", args=[declaration.pk])).content.decode()
    assert "Order withdrawn" in html and "Submitted" in html and "Cancelled" in html
    assert reverse("declarations:cancel", args=[declaration.pk]) not in html


def test_copy_as_new_draft_keeps_goods_not_containers(trader_client, trader):
    declaration = submitted(trader)
    response = trader_client.post(reverse("declarations:copy", args=[declaration.pk]))
    copy = Declaration.objects.exclude(pk=declaration.pk).get()
    assert response["Location"] == reverse("declarations:edit", args=[copy.pk])
    assert copy.status == Status.DRAFT and copy.item_count == 1 and copy.container_count == 0


def test_receipt_has_a_qr_code_for_the_public_verification_page(trader_client, trader):
    declaration = submitted(trader)
    html = trader_client.get(reverse("declarations:receipt", args=[declaration.pk])).content.decode()
    assert "<svg" in html and declaration.reference in html
    from declarations.verification import declaration_verification_path

    assert "http://testserver" + declaration_verification_path(declaration) in html
    assert "<script>" not in html  # no inline script (Content-Security-Policy)


def test_a_draft_has_no_receipt(trader_client, draft):
    response = trader_client.get(reverse("declarations:receipt", args=[draft.pk]))
    assert response.status_code == 302


def test_officer_of_a_port_on_the_route_sees_the_detail_read_only(client, trader):
    declaration = submitted(trader)
    client.force_login(factories.customs_officer(ports=("CNSHK",)))
    response = client.get(reverse("declarations:detail", args=[declaration.pk]))
    html = response.content.decode()
    assert response.status_code == 200 and declaration.reference in html
    assert reverse("declarations:cancel", args=[declaration.pk]) not in html
    assert reverse("declarations:copy", args=[declaration.pk]) not in html
    assert client.get(reverse("declarations:edit", args=[declaration.pk])).status_code == 403


def test_officer_of_another_port_and_a_bank_get_404(client, trader):
    declaration = submitted(trader)
    for user in (factories.customs_officer(ports=("CNNSA",)), factories.bank_officer()):
        client.force_login(user)
        assert client.get(reverse("declarations:detail", args=[declaration.pk])).status_code == 404


# --- Permissions: another organisation's declaration does not exist for a trader ------------------------------

OTHER_ORGANISATION_PAGES = [
    ("get", "declarations:detail", ()),
    ("get", "declarations:edit", ()),
    ("post", "declarations:edit", ()),
    ("get", "declarations:review", ()),
    ("post", "declarations:submit", ()),
    ("post", "declarations:resubmit", ()),
    ("post", "declarations:cancel", ()),
    ("post", "declarations:copy", ()),
    ("get", "declarations:receipt", ()),
    ("get", "declarations:import-items", ()),
    ("post", "declarations:import-items", ()),
    ("post", "declarations:document-upload", ()),
    ("get", "declarations:document-download", ("document",)),
    ("post", "declarations:document-remove", ("document",)),
]


@pytest.mark.parametrize(("method", "name", "extra"), OTHER_ORGANISATION_PAGES)
def test_trader_of_another_organisation_gets_404(client, trader, method, name, extra):
    declaration = submitted(trader)
    document = declaration.documents.create(
        kind="invoice",
        file="x.pdf",
        original_name="x.pdf",
        content_type="application/pdf",
        size=1,
        sha256="0" * 64,
        uploaded_by=trader,
    )
    args = [declaration.pk] + ([document.pk] if extra else [])
    client.force_login(factories.trader())
    response = getattr(client, method)(reverse(name, args=args))
    assert response.status_code == 404
    declaration.refresh_from_db()
    assert declaration.status == Status.SUBMITTED and Declaration.objects.count() == 1


def test_other_organisation_declarations_are_not_listed(client, trader):
    mine = submitted(trader)
    client.force_login(factories.trader())
    html = client.get(reverse("declarations:list")).content.decode()
    assert mine.reference not in html


def test_pages_need_sign_in_and_trader_pages_need_a_trader(client):
    assert client.get(reverse("declarations:list")).status_code == 302
    client.force_login(factories.bank_officer())
    assert client.get(reverse("declarations:list")).status_code == 403
    assert client.get(reverse("declarations:create")).status_code == 403


# --- List ------------------------------------------------------------------------------------------------------


def _many(trader, count: int) -> list[Declaration]:
    return [
        declaration_create_draft(actor=trader, **factories.declaration_input(items=1, containers=1))
        for _ in range(count)
    ]


@pytest.mark.parametrize("count", [1, 30])
def test_list_costs_a_constant_number_of_queries(trader_client, trader, count, django_assert_max_num_queries):
    _many(trader, count)
    with django_assert_max_num_queries(5):  # 4 + the navigation's unread-notification count
        response = trader_client.get(reverse("declarations:list"))
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="declaration-row"') == min(count, 25)


def test_list_pages_by_keyset_forward_and_back(trader_client, trader):
    made = _many(trader, 27)
    first = trader_client.get(reverse("declarations:list")).content.decode()
    after = re.search(r'href="\?after=([^"]+)"', first).group(1)
    second = trader_client.get(reverse("declarations:list"), {"after": after}).content.decode()
    assert second.count('data-testid="declaration-row"') == 2
    assert f'href="{reverse("declarations:detail", args=[made[0].pk])}"' in second
    before = re.search(r'href="\?before=([^"]+)"', second).group(1)
    back = trader_client.get(reverse("declarations:list"), {"before": before}).content.decode()
    assert back.count('data-testid="declaration-row"') == 25
    assert f'href="{reverse("declarations:detail", args=[made[-1].pk])}"' in back


def test_list_searches_reference_container_and_transport_document_and_filters(trader_client, trader):
    a = submitted(trader, transport_document_number="BLALPHA")
    b = declaration_create_draft(actor=trader, **factories.declaration_input(transport_document_number="BLBETA"))
    url = reverse("declarations:list")

    def listed(**params):
        html = trader_client.get(url, params).content.decode()
        return {pk for pk in (a.pk, b.pk) if f'href="{reverse("declarations:detail", args=[pk])}"' in html}

    assert listed(search=a.reference) == {a.pk}
    assert listed(search="blbeta") == {b.pk}
    assert listed(search="CSQU 305438-3") == {a.pk, b.pk}
    assert listed(status="draft") == {b.pk}
    assert listed(submitted_from="2000-01-01") == {a.pk}
    assert listed(submitted_to="2000-01-01") == set()
    html = trader_client.get(url, {"status": "submitted"}).content.decode()
    assert 'class="badge status-blue"' in html


# --- Documents -------------------------------------------------------------------------------------------------


def test_document_upload_rejects_a_text_file_named_pdf(trader_client, draft):
    upload = SimpleUploadedFile("invoice.pdf", b"this is just text pretending", content_type="application/pdf")
    response = trader_client.post(
        reverse("declarations:document-upload", args=[draft.pk]), {"document-kind": "invoice", "document-file": upload}
    )
    links = summary_links(response.content.decode())
    assert any(href == "#id_document-file" and "Only PDF, JPEG and PNG" in text for href, text in links), links
    assert not draft.documents.exists()


def test_document_upload_download_and_remove(trader_client, draft, client):
    upload = SimpleUploadedFile("invoice.pdf", PDF, content_type="application/octet-stream")
    response = trader_client.post(
        reverse("declarations:document-upload", args=[draft.pk]), {"document-kind": "invoice", "document-file": upload}
    )
    assert response.status_code == 302
    document = draft.documents.get()
    assert document.content_type == "application/pdf"
    download = trader_client.get(reverse("declarations:document-download", args=[draft.pk, document.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert "attachment" in download["Content-Disposition"]
    trader_client.post(reverse("declarations:document-remove", args=[draft.pk, document.pk]))
    assert not draft.documents.exists()


def test_document_attached_with_the_form_when_saving(trader_client, draft):
    data = factories.declaration_input(items=1, containers=1)
    post = {
        **form_data(data),
        "document-kind": "packing_list",
        "document-file": SimpleUploadedFile("packing.png", PNG, content_type="image/png"),
    }
    assert trader_client.post(reverse("declarations:edit", args=[draft.pk]), post).status_code == 302
    assert draft.documents.get().kind == "packing_list"


def test_a_rejected_document_in_the_form_saves_nothing(trader_client, draft):
    data = factories.declaration_input(items=1, containers=1, transport_document_number="CHANGED")
    post = {
        **form_data(data),
        "document-kind": "invoice",
        "document-file": SimpleUploadedFile("invoice.pdf", b"plain text", content_type="application/pdf"),
    }
    response = trader_client.post(reverse("declarations:edit", args=[draft.pk]), post)
    assert any(href == "#id_document-file" for href, _text in summary_links(response.content.decode()))
    draft.refresh_from_db()
    assert draft.transport_document_number == "PRBL2026000123" and draft.item_count == 2


# --- Import of item lines ---------------------------------------------------------------------------------------


def _csv(rows: list[list]) -> SimpleUploadedFile:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return SimpleUploadedFile("items.csv", buffer.getvalue().encode(), content_type="text/csv")


HEADER = ["hs_code", "description", "origin_country", "quantity", "unit", "packages", "gross_mass", "net_mass", "value"]
GOOD = ["940360", "Oak table", "CN", "10", "PCE", "10", "300", "280", "2000.00"]


def test_import_with_a_bad_row_reports_row_and_column_and_imports_nothing(trader_client, draft):
    bad = ["940360", "Oak chair", "CN", "10", "PCE", "10", "300", "320", "500.00"]
    response = trader_client.post(
        reverse("declarations:import-items", args=[draft.pk]),
        {"file": _csv([HEADER, GOOD, bad, GOOD]), "mode": "replace"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r"<td>3</td><td class=\"mono\">net_mass</td><td>Net mass \(320 kg\) cannot exceed", html)
    assert "nothing was imported" in html
    draft.refresh_from_db()
    assert draft.item_count == 2 and draft.items.first().description == "Wooden dining table, model 0"


def test_import_replaces_or_appends_items(trader_client, draft):
    url = reverse("declarations:import-items", args=[draft.pk])
    response = trader_client.post(url, {"file": _csv([HEADER] + [GOOD] * 300), "mode": "replace"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.item_count == 300 and draft.total_value == Decimal("600000.00")
    trader_client.post(url, {"file": _csv([HEADER, GOOD]), "mode": "append"})
    draft.refresh_from_db()
    assert draft.item_count == 301 and list(draft.containers.values_list("number", flat=True)) == [
        "CSQU3054383",
        "MSKU1234565",
    ]


def test_import_template_downloads(trader_client):
    response = trader_client.get(reverse("declarations:import-template"))
    assert response.status_code == 200 and response.content.decode().startswith(",".join(HEADER))


# --- Home and navigation ----------------------------------------------------------------------------------------


def test_trader_home_lists_drafts_and_declarations_needing_action(
    trader_client, trader, draft, django_assert_max_num_queries
):
    declaration = submitted(trader)
    declaration_decide(
        actor=factories.customs_officer(ports=("CNSUD",)),
        declaration_id=declaration.pk,
        action=Action.REQUEST_AMENDMENT,
        message="Fix the seal",
    )
    with django_assert_max_num_queries(7):  # session, user, drafts, waiting, financing, unread count
        html = trader_client.get(reverse("home")).content.decode()
    drafts = html.split('data-testid="drafts"')[1].split("</section>")[0]
    action = html.split('data-testid="actions"')[1].split("</section>")[0]
    assert reverse("declarations:edit", args=[draft.pk]) in drafts
    assert declaration.reference in action and "Amendment requested" in action
    assert f'href="{reverse("declarations:list")}"' in html  # the navigation entry


def test_declarations_navigation_is_for_traders_only(client):
    client.force_login(factories.customs_officer())
    assert f'href="{reverse("declarations:list")}"' not in client.get(reverse("home")).content.decode()
