"""Reading goods item lines from CSV and XLSX files: every row or none, each problem by row and column."""

import io
from decimal import Decimal

import pytest
from openpyxl import Workbook

from declarations.services.imports import item_import_template_csv, item_rows_parse

pytestmark = pytest.mark.django_db

HEADER = "hs_code,description,origin_country,quantity,unit,packages,gross_mass,net_mass,value"
GOOD = "940360,Oak table,CN,10,PCE,10,300.5,280.25,2000.00"


def csv_file(*lines: str, encoding: str = "utf-8") -> io.BytesIO:
    return io.BytesIO("\r\n".join(lines).encode(encoding))


def xlsx_file(rows: list[list]) -> io.BytesIO:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def test_a_valid_csv_gives_service_input():
    items, errors = item_rows_parse(csv_file(HEADER, GOOD))
    assert errors == []
    assert items == [
        {
            "hs_code": "940360",
            "description": "Oak table",
            "origin_country": "CN",
            "quantity": Decimal("10"),
            "unit": "PCE",
            "packages": 10,
            "gross_mass": Decimal("300.5"),
            "net_mass": Decimal("280.25"),
            "value": Decimal("2000.00"),
        }
    ]


def test_columns_in_any_order_any_case_with_a_semicolon_bom_and_blank_rows():
    lines = [
        "\ufeffValue;Net Mass;Gross Mass;Packages;Unit;Quantity;Origin Country;Description;HS Code;Note",
        "12.50;1;2;1;pce;3;cn;Lamp;9405.11;anything",
        "",
        ";;;;;;;;;",
    ]
    items, errors = item_rows_parse(csv_file(*lines))
    assert errors == []
    assert items[0]["hs_code"] == "940511" and items[0]["unit"] == "PCE" and items[0]["origin_country"] == "CN"
    assert len(items) == 1


def test_gb18030_text_is_read():
    items, errors = item_rows_parse(csv_file(HEADER, "940360,实木餐桌,CN,10,PCE,10,300,280,2000", encoding="gb18030"))
    assert errors == [] and items[0]["description"] == "实木餐桌"


def test_cells_that_cannot_be_read_are_named_by_row_and_column():
    items, errors = item_rows_parse(
        csv_file(
            HEADER,
            GOOD,
            "94-03,Chair,CN,ten,BOX,1.5,300,280,2000",
        )
    )
    assert items == []
    assert [(error.row, error.column) for error in errors] == [
        (3, "hs_code"),
        (3, "quantity"),
        (3, "unit"),
        (3, "packages"),
    ]
    assert "not an HS code" in errors[0].message and "not a number" in errors[1].message
    assert "PCE" in errors[2].message and "whole number" in errors[3].message


def test_domain_rules_are_the_services_rules_with_row_and_column():
    items, errors = item_rows_parse(
        csv_file(
            HEADER,
            GOOD,
            "999999,Unknown,CN,10,PCE,10,300,280,2000",
            "9403,Heading only,XX,10,PCE,0,300,320,-1",
            "940360,,CN,10,PCE,10,300,280,20.005",
        )
    )
    assert items == []
    found = [(error.row, error.column) for error in errors]
    assert found == [
        (3, "hs_code"),
        (4, "hs_code"),
        (4, "origin_country"),
        (4, "packages"),
        (4, "net_mass"),
        (4, "value"),
        (5, "description"),
        (5, "value"),
    ]
    messages = {(error.row, error.column): error.message for error in errors}
    assert "not in the tariff" in messages[(3, "hs_code")]
    assert "more detailed codes" in messages[(4, "hs_code")]
    assert "cannot exceed gross mass" in messages[(4, "net_mass")]
    assert "required" in messages[(5, "description")]
    assert "two decimal places" in messages[(5, "value")]


def test_a_missing_column_is_reported_on_the_header_row():
    items, errors = item_rows_parse(csv_file("hs_code,description,quantity", "940360,Table,1"))
    assert items == []
    assert {error.column for error in errors} == {
        "origin_country",
        "unit",
        "packages",
        "gross_mass",
        "net_mass",
        "value",
    }
    assert {error.row for error in errors} == {1}


def test_an_empty_file_and_a_header_only_file_are_errors():
    assert item_rows_parse(io.BytesIO(b""))[1][0].message == "The file is empty."
    assert "no item lines" in item_rows_parse(csv_file(HEADER))[1][0].message


def test_xlsx_numbers_keep_their_decimal_value_and_leading_zero():
    items, errors = item_rows_parse(
        xlsx_file(
            [
                HEADER.split(","),
                [940360, "Oak table", "CN", 10, "PCE", 10, 1200.1, 1100.35, 8800.1],
            ]
        )
    )
    assert errors == []
    item = items[0]
    assert item["hs_code"] == "940360" and item["packages"] == 10
    assert item["gross_mass"] == Decimal("1200.1") and item["net_mass"] == Decimal("1100.35")
    assert item["value"] == Decimal("8800.1")


def test_xlsx_errors_use_spreadsheet_rows():
    _items, errors = item_rows_parse(
        xlsx_file(
            [
                HEADER.split(","),
                [940360, "Oak table", "CN", 10, "PCE", 10, 300, 280, 100],
                [940360, "Oak table", "CN", 10, "PCE", 10, 0, 280, 100],
            ]
        )
    )
    assert [(error.row, error.column) for error in errors] == [(3, "gross_mass")]


def test_a_broken_xlsx_is_reported():
    _items, errors = item_rows_parse(io.BytesIO(b"PK\x03\x04 not really a workbook"))
    assert errors and "XLSX" in errors[0].message


def test_hundreds_of_lines_cost_the_same_queries_as_one(django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        items, errors = item_rows_parse(csv_file(HEADER, *[GOOD] * 800))
    assert errors == [] and len(items) == 800


def test_the_template_parses_cleanly():
    items, errors = item_rows_parse(io.BytesIO(item_import_template_csv().encode()))
    assert errors == [] and len(items) == 1
