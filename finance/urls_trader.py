"""The trader's pages under ``/financing/`` (included by ``finance/urls.py``, namespace ``finance``)."""

from django.urls import path

from . import views_trader

urlpatterns = [
    path("", views_trader.request_list_view, name="request_list"),
    path("new/", views_trader.request_create_view, name="request_create"),
    path("new/maximum/", views_trader.request_maximum_view, name="request_maximum"),
    path("<int:pk>/", views_trader.request_detail_view, name="request_detail"),
    path("<int:pk>/withdraw/", views_trader.request_withdraw_view, name="request_withdraw"),
    path(
        "<int:pk>/provide-information/",
        views_trader.request_provide_information_view,
        name="request_provide_information",
    ),
    path("<int:pk>/documents/<int:document_id>/", views_trader.request_document_view, name="request_document"),
]
