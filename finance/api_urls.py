"""Every ``/api/v1/finance/…`` route (``portal/api/urls.py`` includes this under ``finance/``).

The trader's endpoints are in ``api.py``; the bank's in ``api_bank.py`` (add its routes here).
"""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from .api import FinancingProductListView, FinancingRequestViewSet
from .api_bank import BankRequestViewSet

router = SimpleRouter(trailing_slash=False)
router.register("requests", FinancingRequestViewSet, basename="financing-request")
router.register("bank/requests", BankRequestViewSet, basename="finance-bank-request")

urlpatterns = [
    path("products", FinancingProductListView.as_view(), name="financing-product-list"),
    path("", include(router.urls)),
]
