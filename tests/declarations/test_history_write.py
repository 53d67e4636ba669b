"""A declaration's save and its history row in one statement (``portal.history.save_with_history``): the row it
records is the one simple-history records through ``save()``, whichever database is in use; and its items and
containers in one statement (``portal.rows.instances_insert``)."""

from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.forms.models import model_to_dict
from django.utils import timezone

from declarations.choices import Status
from declarations.models import Declaration, DeclarationContainer, DeclarationItem
from declarations.services import declaration_submit
from portal.history import save_with_history
from portal.rows import instances_insert
from tests import factories

pytestmark = pytest.mark.django_db

HISTORY_ONLY = {"history_id", "history_date", "history_change_reason", "history_type", "history_user_id"}


def tracked(row) -> dict:
    """What a history row says of the declaration (its own columns left out)."""
    return {
        field.attname: getattr(row, field.attname)
        for field in type(row)._meta.concrete_fields
        if field.attname not in HISTORY_ONLY
    }


def as_stored(declaration: Declaration) -> dict:
    return tracked(Declaration.history.filter(id=declaration.pk).order_by("history_id").last())


def test_a_new_declaration_is_inserted_with_the_row_simple_history_records(trader, draft):
    # The same declaration written by the ORM's save() (simple-history's signal) and by save_with_history.
    expected = tracked(draft.history.order_by("history_id").last())
    copy = Declaration.objects.get(pk=draft.pk)
    copy.pk, copy._state.adding = None, True
    copy.public_id = Declaration._meta.get_field("public_id").get_default()
    copy._history_user, copy._change_reason = trader, "copied"
    save_with_history(copy)

    assert copy.pk is not None and copy.pk != draft.pk and not copy._state.adding
    stored = Declaration.objects.get(pk=copy.pk)
    row = copy.history.get()
    assert (row.history_type, row.history_user_id, row.history_change_reason) == ("+", trader.pk, "copied")
    assert tracked(row) == {
        **expected,
        "id": copy.pk,
        "public_id": stored.public_id,
        "created_at": stored.created_at,
        "updated_at": stored.updated_at,
    }
    assert tracked(row) == {name: getattr(stored, name) for name in tracked(row)}


def test_an_update_writes_the_named_fields_and_records_the_whole_row_as_written(trader, draft):
    before = Declaration.objects.get(pk=draft.pk)
    draft.status, draft.officer_message = Status.SUBMITTED, "kept"
    draft._history_user, draft._change_reason = None, "system"
    save_with_history(draft, update_fields=["status", "officer_message", "updated_at"])

    stored = Declaration.objects.get(pk=draft.pk)
    assert (stored.status, stored.officer_message) == (Status.SUBMITTED, "kept")
    assert stored.updated_at > before.updated_at  # auto_now, as save() sets it
    row = Declaration.history.filter(id=draft.pk).order_by("history_id").last()
    assert (row.history_type, row.history_user_id, row.history_change_reason) == ("~", None, "system")
    assert tracked(row) == {name: getattr(stored, name) for name in tracked(row)}
    assert abs(row.history_date - timezone.now()) < timedelta(minutes=1)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the one-statement write is PostgreSQL's")
def test_a_field_changed_in_memory_but_not_saved_is_recorded_as_stored(draft):
    # simple-history's signal copies the instance's values; the one statement copies the row it wrote.
    stored_name = draft.consignee_name
    draft.consignee_name, draft._history_user = "not written", None
    save_with_history(draft, update_fields=["officer_message", "updated_at"])
    assert Declaration.objects.get(pk=draft.pk).consignee_name == stored_name
    assert as_stored(draft)["consignee_name"] == stored_name


def test_an_update_of_a_row_that_is_gone_fails_and_records_nothing(trader, draft):
    gone = Declaration.objects.get(pk=draft.pk)
    gone.pk = 10**12
    gone._history_user = trader
    recorded = Declaration.history.count()
    with pytest.raises(DatabaseError), transaction.atomic():
        save_with_history(gone, update_fields=["status"])
    assert Declaration.history.count() == recorded


def test_without_a_history_user_it_is_the_orms_save(trader, draft):
    draft = Declaration.objects.get(pk=draft.pk)  # as read: no _history_user left on it
    draft.officer_message = "via save()"
    save_with_history(draft, update_fields=["officer_message", "updated_at"])
    assert as_stored(draft)["officer_message"] == "via save()"


def test_a_submit_records_its_history_through_it(trader, draft):
    submitted = declaration_submit(actor=trader, declaration_id=draft.pk)
    rows = list(Declaration.history.filter(id=draft.pk).order_by("history_id"))
    assert [row.history_type for row in rows] == ["+", "~"]
    assert rows[-1].history_user_id == trader.pk
    assert rows[-1].history_change_reason == "submit"
    assert rows[-1].reference == submitted.reference != ""
    assert as_stored(submitted) == {
        name: getattr(Declaration.objects.get(pk=draft.pk), name) for name in tracked(rows[-1])
    }


def test_an_organisations_other_trader_is_recorded_as_the_user(draft):
    colleague = factories.trader(organisation=draft.declarant)
    declaration_submit(actor=colleague, declaration_id=draft.pk)
    assert Declaration.history.filter(id=draft.pk).order_by("history_id").last().history_user_id == colleague.pk


@pytest.mark.skipif(connection.vendor != "postgresql", reason="one statement on PostgreSQL; bulk_create elsewhere")
def test_items_and_containers_go_in_as_one_statement_each_row_with_its_own_key(draft):
    copied = [field.attname for field in DeclarationItem._meta.concrete_fields if field.name != "id"]
    items = [DeclarationItem(**{name: getattr(item, name) for name in copied}) for item in draft.items.all()]
    for index, item in enumerate(items):
        item.line_number = 10 + index
    items[0].description, items[1].description = "first given", "second given"
    containers = [
        DeclarationContainer(declaration=draft, number=number, size_type="22G1", seal_number="S")
        for number in ("TCNU8000004", "TGHU9000003")
    ]
    assert instances_insert(items, [], containers)
    assert all(not row._state.adding for row in [*items, *containers])
    for row in [*items, *containers]:
        stored = type(row).objects.get(pk=row.pk)
        assert model_to_dict(stored) == model_to_dict(row)
    assert [type(row).objects.get(pk=row.pk).description for row in items[:2]] == ["first given", "second given"]
    assert instances_insert() is True  # nothing to write: no statement


def test_a_history_date_left_on_the_instance_is_recorded(trader, draft):
    when = timezone.now() - timedelta(days=3)
    draft._history_user, draft._history_date = trader, when
    save_with_history(draft, update_fields=["officer_message", "updated_at"])
    assert Declaration.history.filter(id=draft.pk).order_by("history_id").last().history_date == when
