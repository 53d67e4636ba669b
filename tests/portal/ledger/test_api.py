"""The public ledger API: every endpoint, its errors, and the standalone verifier run on its answers."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from portal.ledger.models import LedgerEntry
from portal.ledger.services import checkpoint_create
from portal.ledger.verifier import check_consistency, check_inclusion

from .conftest import append_events

VERIFIER = Path(__file__).resolve().parents[3] / "portal" / "ledger" / "verifier.py"
API = "/api/v1/ledger/"


@pytest.fixture
def client():
    return APIClient()


def get(client, path, **params):
    response = client.get(API + path, params)
    return response, response.json()


def test_public_key(client, db, ledger_test_key):
    response, body = get(client, "public-key")
    assert response.status_code == 200
    assert body["public_key"] == ledger_test_key.base64
    assert body["key_id"] == ledger_test_key.key_id and len(body["key_id"]) == 8
    assert body["origin"] == "harbour-single-window" and body["algorithm"] == "Ed25519"
    assert body["public_key_pem"].startswith("-----BEGIN PUBLIC KEY-----")


def test_checkpoints_list_latest_first_and_paginated(client, ledger_of):
    ledger_of(3)
    append_events(2, start=3)
    checkpoint_create()
    response, body = get(client, "checkpoints", page_size=1)
    assert response.status_code == 200
    assert body["count"] == 2 and body["next"]
    assert [c["tree_size"] for c in body["results"]] == [5]
    response, latest = get(client, "checkpoints/latest")
    assert latest["tree_size"] == 5 and len(latest["root_hash"]) == 64
    assert latest["note"].startswith("harbour-single-window\n5\n")


def test_latest_checkpoint_of_an_empty_log_is_404(client, db):
    response, body = get(client, "checkpoints/latest")
    assert response.status_code == 404
    assert body["code"] == "not_found"


def test_entry_shows_public_fields_and_hashes_of_the_others(client, ledger_of):
    ledger_of(4)
    response, body = get(client, "entries/2")
    assert response.status_code == 200
    assert body["public"] == {"number": 2, "reference": "T-2"}
    assert set(body["private_hashes"]) == {"secret"} and "hidden" not in json.dumps(body)
    assert body["leaf_hash"] == bytes(LedgerEntry.objects.get(seq=2).leaf_hash).hex()
    assert body["created_at"].endswith("Z")


def test_unknown_entry_is_404_with_the_error_format(client, ledger_of):
    ledger_of(2)
    for path in ("entries/2", "entries/99/proof"):
        response, body = get(client, path)
        assert response.status_code == 404
        assert body == {
            "code": "not_found",
            "detail": f"There is no ledger entry {path.split('/')[1]}.",
            "fields": {"seq": [body["detail"]]},
        }


def test_proof_defaults_to_the_latest_checkpoint(client, ledger_of):
    ledger_of(6)
    append_events(3, start=6)
    response, body = get(client, "entries/4/proof")
    assert response.status_code == 200
    assert body["tree_size"] == 6 and body["leaf_index"] == 4
    response, body = get(client, "entries/4/proof", tree_size=9)
    assert body["tree_size"] == 9 and len(body["audit_path"]) == 4


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"tree_size": "ten"}, "tree_size", "valid integer"),
        ({"tree_size": "-1"}, "tree_size", "greater than or equal to 0"),
        ({"tree_size": "3"}, "tree_size", "Entry 4 is in trees of size 5 and larger"),
        ({"tree_size": "50"}, "tree_size", "only 6 entries"),
    ],
)
def test_bad_proof_sizes_are_400_naming_the_parameter(client, ledger_of, params, field, words):
    ledger_of(6)
    response, body = get(client, "entries/4/proof", **params)
    assert response.status_code == 400
    assert body["code"] == "invalid"
    assert words in " ".join(body["fields"][field])


def test_proof_without_any_checkpoint_asks_for_a_tree_size(client, ledger_of):
    ledger_of(3, checkpoint=False)
    response, body = get(client, "entries/1/proof")
    assert response.status_code == 400
    assert "No checkpoint" in body["fields"]["tree_size"][0]


def test_consistency_proof(client, ledger_of):
    ledger_of(10)
    response, body = get(client, "consistency", first=3, second=10)
    assert response.status_code == 200
    assert body["first"] == 3 and body["second"] == 10 and body["consistency_path"]


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"second": "5"}, "first", "required"),
        ({"first": "0", "second": "5"}, "first", "greater than or equal to 1"),
        ({"first": "6", "second": "5"}, "first", "Must not be greater than second (5)"),
        ({"first": "2", "second": "11"}, "second", "only 10 entries"),
        ({"first": "x", "second": "5"}, "first", "valid integer"),
    ],
)
def test_bad_consistency_sizes_are_400_naming_the_parameter(client, ledger_of, params, field, words):
    ledger_of(10)
    response, body = get(client, "consistency", **params)
    assert response.status_code == 400
    assert words in " ".join(body["fields"][field])


def test_tree_head(client, ledger_of):
    ledger_of(7)
    _response, current = get(client, "tree-head")
    _response, latest = get(client, "checkpoints/latest")
    assert current == {"tree_size": 7, "root_hash": latest["root_hash"]}
    response, body = get(client, "tree-head", tree_size=8)
    assert response.status_code == 400 and "tree_size" in body["fields"]
    _response, empty = get(client, "tree-head", tree_size=0)
    assert empty["root_hash"] == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_proof_endpoint_query_count_is_constant(client, ledger_of, django_assert_max_num_queries):
    ledger_of(200)
    with django_assert_max_num_queries(6):
        get(client, "entries/133/proof")


def test_schema_documents_the_ledger_endpoints(client, db):
    response = client.get("/api/schema/", {"format": "json"})
    paths = response.json()["paths"]
    proof = paths["/api/v1/ledger/entries/{seq}/proof"]["get"]
    assert {"200", "400", "404"} <= set(proof["responses"])
    assert "/api/v1/ledger/consistency" in paths and "/api/v1/ledger/public-key" in paths


def test_api_answers_verify_in_process(client, ledger_of, ledger_test_key):
    ledger_of(12)
    old = get(client, "checkpoints/latest")[1]
    append_events(9, start=12)
    checkpoint_create()
    new = get(client, "checkpoints/latest")[1]
    entry, proof = get(client, "entries/11")[1], get(client, "entries/11/proof")[1]
    assert "included" in check_inclusion(ledger_test_key.raw, entry, proof, new)
    consistency = get(client, "consistency", first=12, second=21)[1]
    assert "extends" in check_consistency(ledger_test_key.raw, old, new, consistency)


# --- the standalone verifier as a program, without Django ------------------------------------------


def run_verifier(*args, cwd):
    environment = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": ""}
    return subprocess.run(
        [sys.executable, "-I", str(VERIFIER), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment,
        timeout=60,
    )


@pytest.fixture
def api_files(client, ledger_of, tmp_path):
    ledger_of(13)
    (tmp_path / "old.json").write_text(json.dumps(get(client, "checkpoints/latest")[1]))
    append_events(6, start=13)
    checkpoint_create()
    files = {
        "key.json": "public-key",
        "checkpoint.json": "checkpoints/latest",
        "entry.json": "entries/8",
        "proof.json": "entries/8/proof",
        "consistency.json": "consistency?first=13&second=19",
    }
    for name, path in files.items():
        response = client.get(API + path)
        (tmp_path / name).write_bytes(response.content)
    return tmp_path


def test_verifier_program_accepts_the_api_answers(api_files):
    result = run_verifier(
        "inclusion",
        "--public-key",
        "key.json",
        "--entry",
        "entry.json",
        "--proof",
        "proof.json",
        "--checkpoint",
        "checkpoint.json",
        cwd=api_files,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK: entry 8 (test.event, tests.Event:8) is included")
    result = run_verifier(
        "consistency",
        "--public-key",
        "key.json",
        "--old",
        "old.json",
        "--new",
        "checkpoint.json",
        "--proof",
        "consistency.json",
        cwd=api_files,
    )
    assert result.returncode == 0, result.stderr
    result = run_verifier("checkpoint", "--public-key", "key.json", "checkpoint.json", cwd=api_files)
    assert result.returncode == 0, result.stderr


def test_verifier_program_does_not_import_django(api_files):
    code = (
        f"import runpy, sys; sys.argv = ['verifier.py', 'checkpoint', '--public-key', 'key.json', "
        f"'checkpoint.json']\ntry:\n    runpy.run_path({str(VERIFIER)!r}, run_name='__main__')\n"
        "except SystemExit as exit:\n    assert 'django' not in sys.modules, 'django was imported'\n"
        "    raise"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", code],
        capture_output=True,
        text=True,
        cwd=api_files,
        env={"PATH": os.environ.get("PATH", "")},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def _first_changed(text: str) -> str:
    """``text`` with its first character replaced by another one (a fixed replacement may equal it)."""
    return ("b" if text[0] == "a" else "a") + text[1:]


@pytest.mark.parametrize(
    ("name", "change"),
    [
        ("entry.json", lambda doc: doc["public"].update(reference="T-forged")),
        ("entry.json", lambda doc: doc["private_hashes"].update(secret="0" * 64)),
        ("proof.json", lambda doc: doc["audit_path"].__setitem__(0, _first_changed(doc["audit_path"][0]))),
        ("checkpoint.json", lambda doc: doc.update(root_hash=_first_changed(doc["root_hash"]))),
        ("checkpoint.json", lambda doc: doc.update(tree_size=doc["tree_size"] + 1)),
        ("checkpoint.json", lambda doc: doc.update(signature=_first_changed(doc["signature"]))),
    ],
)
def test_verifier_program_fails_on_a_tampered_file(api_files, name, change):
    document = json.loads((api_files / name).read_text())
    change(document)
    (api_files / name).write_text(json.dumps(document))
    result = run_verifier(
        "inclusion",
        "--public-key",
        "key.json",
        "--entry",
        "entry.json",
        "--proof",
        "proof.json",
        "--checkpoint",
        "checkpoint.json",
        cwd=api_files,
    )
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert result.stderr.startswith("FAILED: ")


def test_verifier_program_fails_on_a_tampered_consistency_proof(api_files):
    document = json.loads((api_files / "consistency.json").read_text())
    document["consistency_path"][-1] = "0" * 64
    (api_files / "consistency.json").write_text(json.dumps(document))
    result = run_verifier(
        "consistency",
        "--public-key",
        "key.json",
        "--old",
        "old.json",
        "--new",
        "checkpoint.json",
        "--proof",
        "consistency.json",
        cwd=api_files,
    )
    assert result.returncode == 1
    assert "FAILED" in result.stderr


def test_verifier_program_reports_unreadable_input_with_status_2(api_files):
    result = run_verifier("checkpoint", "--public-key", "key.json", "missing.json", cwd=api_files)
    assert result.returncode == 2 and "cannot read missing.json" in result.stderr
