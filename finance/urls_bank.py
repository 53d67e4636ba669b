"""The bank's pages under ``/financing/bank/`` (included by ``finance/urls.py``, namespace ``finance``)."""

from django.urls import path

from . import views_bank

urlpatterns = [
    path("bank/", views_bank.bank_queue_view, name="bank_queue"),
    path("bank/<int:pk>/", views_bank.bank_request_view, name="bank_request_detail"),
    path("bank/<int:pk>/approve/", views_bank.bank_approve_view, name="bank_approve"),
    path("bank/<int:pk>/reject/", views_bank.bank_reject_view, name="bank_reject"),
    path("bank/<int:pk>/ask-information/", views_bank.bank_ask_information_view, name="bank_ask_information"),
    path("bank/<int:pk>/disbursements/", views_bank.bank_disburse_view, name="bank_disburse"),
    path("bank/<int:pk>/repayments/", views_bank.bank_repay_view, name="bank_repay"),
    path("bank/<int:pk>/close/", views_bank.bank_close_view, name="bank_close"),
    path("bank/<int:pk>/documents/<int:document_id>/", views_bank.bank_document_view, name="bank_document"),
]
