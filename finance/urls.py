"""Financing pages under ``/financing/`` (namespace ``finance``)."""

from .urls_bank import urlpatterns as bank_urlpatterns
from .urls_trader import urlpatterns as trader_urlpatterns

app_name = "finance"

urlpatterns = []

# The trader's list, new request, detail and actions (``/financing/…``).
urlpatterns += trader_urlpatterns

# The bank's queue, review page and actions (``/financing/bank/…``).
urlpatterns += bank_urlpatterns
