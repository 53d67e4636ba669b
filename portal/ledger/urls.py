from django.urls import path

from . import views

urlpatterns = [
    path("verify/", views.verify_lookup, name="ledger-verify"),
    path("verify/<str:reference>/", views.verify_lookup, name="ledger-verify-reference"),
    path("verify/<str:reference>/<str:check>/", views.verify_record, name="ledger-verify-record"),
    path("ledger/verifier.py", views.verifier_download, name="ledger-verifier-download"),
]
