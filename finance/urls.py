"""Financing pages under ``/financing/`` (namespace ``finance``)."""

from .urls_bank import urlpatterns as bank_urlpatterns

app_name = "finance"

urlpatterns = []

# The bank's queue, review page and actions (``/financing/bank/…``).
urlpatterns += bank_urlpatterns
