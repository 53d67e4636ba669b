from django.urls import path

from . import api

urlpatterns = [
    path("public-key", api.PublicKeyView.as_view(), name="api-ledger-public-key"),
    path("checkpoints", api.CheckpointListView.as_view(), name="api-ledger-checkpoints"),
    path("checkpoints/latest", api.CheckpointLatestView.as_view(), name="api-ledger-checkpoint-latest"),
    path("entries/<int:seq>", api.EntryView.as_view(), name="api-ledger-entry"),
    path("entries/<int:seq>/proof", api.InclusionProofView.as_view(), name="api-ledger-proof"),
    path("consistency", api.ConsistencyProofView.as_view(), name="api-ledger-consistency"),
    path("tree-head", api.TreeHeadView.as_view(), name="api-ledger-tree-head"),
]
