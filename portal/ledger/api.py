"""Public, read-only ledger API: anyone may fetch keys, checkpoints, entries and proofs.

Hashes are 64 lowercase hexadecimal characters; signatures and the public key are standard
base64 — exactly what ``portal/ledger/verifier.py`` reads.
"""

from __future__ import annotations

import base64

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api.pagination import StandardPagination
from portal.api.serializers import ErrorSerializer

from . import selectors
from .canonical import datetime_text
from .documents import stored_entry_document
from .signing import public_key_info, signed_note

ERRORS = {400: ErrorSerializer, 404: ErrorSerializer}


def b64(value: bytes) -> str:
    return base64.b64encode(bytes(value)).decode("ascii")


class PublicKeySerializer(serializers.Serializer):
    origin = serializers.CharField(help_text=_("The log's name, the first line of every signed checkpoint."))
    algorithm = serializers.CharField()
    key_id = serializers.CharField(help_text=_("C2SP key hash: 4 bytes, hex."))
    public_key = serializers.CharField(help_text=_("The raw 32-byte Ed25519 public key, base64."))
    public_key_pem = serializers.CharField()


class CheckpointSerializer(serializers.Serializer):
    tree_size = serializers.IntegerField()
    root_hash = serializers.CharField(help_text=_("SHA-256 root hash, lowercase hex."))
    origin = serializers.CharField()
    key_id = serializers.CharField()
    signature = serializers.CharField(help_text=_("Ed25519 signature of the checkpoint body, base64."))
    created_at = serializers.DateTimeField()
    note = serializers.CharField(help_text=_("The checkpoint as a C2SP signed note."))

    def to_representation(self, checkpoint):
        root = bytes(checkpoint.root_hash)
        signature = bytes(checkpoint.signature)
        return {
            "tree_size": checkpoint.tree_size,
            "root_hash": root.hex(),
            "origin": checkpoint.origin,
            "key_id": checkpoint.key_id,
            "signature": b64(signature),
            "created_at": datetime_text(checkpoint.created_at),
            "note": signed_note(checkpoint.tree_size, root, signature, checkpoint.key_id),
        }


class EntrySerializer(serializers.Serializer):
    seq = serializers.IntegerField(help_text=_("Sequence number = leaf index, from 0."))
    kind = serializers.CharField()
    subject = serializers.CharField()
    created_at = serializers.CharField(help_text=_("UTC, canonical form, exactly as hashed."))
    public = serializers.DictField(help_text=_("The payload fields anyone may read."))
    private_hashes = serializers.DictField(
        child=serializers.CharField(), help_text=_("Salted SHA-256 commitment to each other field, hex.")
    )
    leaf_hash = serializers.CharField(help_text=_("SHA-256(0x00 ‖ canonical JSON of the entry), hex."))

    def to_representation(self, entry):
        document = stored_entry_document(entry)
        return {
            "seq": entry.seq,
            "kind": entry.kind,
            "subject": entry.subject,
            "created_at": document["created_at"],
            "public": document["public"],
            "private_hashes": document["private"],
            "leaf_hash": bytes(entry.leaf_hash).hex(),
        }


class InclusionProofSerializer(serializers.Serializer):
    leaf_index = serializers.IntegerField()
    tree_size = serializers.IntegerField()
    leaf_hash = serializers.CharField()
    audit_path = serializers.ListField(child=serializers.CharField(), help_text=_("RFC 9162 PATH, hex, leaf first."))
    root_hash = serializers.CharField(help_text=_("The root of the tree of tree_size entries, hex."))

    def to_representation(self, proof):
        return {
            "leaf_index": proof.leaf_index,
            "tree_size": proof.tree_size,
            "leaf_hash": proof.leaf_hash.hex(),
            "audit_path": [node.hex() for node in proof.audit_path],
            "root_hash": proof.root_hash.hex(),
        }


class ConsistencyProofSerializer(serializers.Serializer):
    first = serializers.IntegerField()
    second = serializers.IntegerField()
    first_root = serializers.CharField()
    second_root = serializers.CharField()
    consistency_path = serializers.ListField(child=serializers.CharField(), help_text=_("RFC 9162 PROOF, hex."))

    def to_representation(self, proof):
        return {
            "first": proof.first,
            "second": proof.second,
            "first_root": proof.first_root.hex(),
            "second_root": proof.second_root.hex(),
            "consistency_path": [node.hex() for node in proof.consistency_path],
        }


class TreeHeadSerializer(serializers.Serializer):
    tree_size = serializers.IntegerField()
    root_hash = serializers.CharField()


class TreeSizeQuery(serializers.Serializer):
    tree_size = serializers.IntegerField(required=False, min_value=0)


class ConsistencyQuery(serializers.Serializer):
    first = serializers.IntegerField(min_value=1)
    second = serializers.IntegerField(min_value=1)


class PublicLedgerView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []


class PublicKeyView(PublicLedgerView):
    """The Ed25519 key that signs checkpoints. Fetch it once and pin it."""

    @extend_schema(responses={200: PublicKeySerializer}, operation_id="ledger_public_key")
    def get(self, request):
        key = public_key_info()
        return Response(
            PublicKeySerializer(
                {
                    "origin": key.origin,
                    "algorithm": "Ed25519",
                    "key_id": key.key_id,
                    "public_key": key.base64,
                    "public_key_pem": key.pem,
                }
            ).data
        )


class CheckpointListView(generics.ListAPIView):
    """Signed checkpoints, latest first."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    serializer_class = CheckpointSerializer
    pagination_class = StandardPagination
    filter_backends: list = []

    def get_queryset(self):
        return selectors.checkpoint_list()


class CheckpointLatestView(PublicLedgerView):
    """The latest signed checkpoint."""

    @extend_schema(responses={200: CheckpointSerializer, 404: ErrorSerializer}, operation_id="ledger_checkpoint_latest")
    def get(self, request):
        checkpoint = selectors.checkpoint_latest()
        if checkpoint is None:
            raise selectors.LedgerNotFound(str(_("No checkpoint has been signed yet.")))
        return Response(CheckpointSerializer(checkpoint).data)


class EntryView(PublicLedgerView):
    """One entry: its public payload fields, hashes of the others, and its leaf hash."""

    @extend_schema(responses={200: EntrySerializer, **ERRORS}, operation_id="ledger_entry")
    def get(self, request, seq: int):
        return Response(EntrySerializer(selectors.entry_get(seq=seq)).data)


class InclusionProofView(PublicLedgerView):
    """Inclusion proof (RFC 9162 §2.1.3) of an entry in the tree of ``tree_size`` entries."""

    @extend_schema(
        parameters=[OpenApiParameter("tree_size", int, description=_("Default: the latest checkpoint's size."))],
        responses={200: InclusionProofSerializer, **ERRORS},
        operation_id="ledger_entry_proof",
    )
    def get(self, request, seq: int):
        query = TreeSizeQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        selectors.entry_get(seq=seq)
        proof = selectors.inclusion_proof_get(seq=seq, tree_size=query.validated_data.get("tree_size"))
        return Response(InclusionProofSerializer(proof).data)


class ConsistencyProofView(PublicLedgerView):
    """Consistency proof (RFC 9162 §2.1.4) that the tree of ``second`` entries extends the one of ``first``."""

    @extend_schema(
        parameters=[OpenApiParameter("first", int, required=True), OpenApiParameter("second", int, required=True)],
        responses={200: ConsistencyProofSerializer, 400: ErrorSerializer},
        operation_id="ledger_consistency",
    )
    def get(self, request):
        query = ConsistencyQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        proof = selectors.consistency_proof_get(**query.validated_data)
        return Response(ConsistencyProofSerializer(proof).data)


class TreeHeadView(PublicLedgerView):
    """The root hash of the tree of ``tree_size`` entries (unsigned; compare it with a checkpoint)."""

    @extend_schema(
        parameters=[OpenApiParameter("tree_size", int, description=_("Default: the current size."))],
        responses={200: TreeHeadSerializer, 400: ErrorSerializer},
        operation_id="ledger_tree_head",
    )
    def get(self, request):
        query = TreeSizeQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        size, root = selectors.tree_head_get(tree_size=query.validated_data.get("tree_size"))
        return Response(TreeHeadSerializer({"tree_size": size, "root_hash": root.hex()}).data)
