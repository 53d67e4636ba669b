from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=False)
router.register("reference/countries", views.CountryViewSet, basename="country")
router.register("reference/currencies", views.CurrencyViewSet, basename="currency")
router.register("reference/ports", views.PortViewSet, basename="port")
router.register("reference/hs-codes", views.HSCodeViewSet, basename="hscode")

urlpatterns = [
    path("me", views.MeView.as_view(), name="api-me"),
    path("health", views.HealthView.as_view(), name="api-health"),
    path("ledger/", include("portal.ledger.urls_api")),
    path("", include("declarations.api.urls")),
    path("", include("inspections.api")),
    path("", include("inspections.certificates.api")),
    path("finance/", include("finance.api_urls")),
    path("", include(router.urls)),
]
