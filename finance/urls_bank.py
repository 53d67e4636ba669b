"""The bank's pages under ``/financing/bank/`` (included by ``finance/urls.py``, namespace ``finance``)."""

from django.urls import path

from . import views_bank, views_products

urlpatterns = [
    path("bank/", views_bank.bank_queue_view, name="bank_queue"),
    path("bank/products/", views_products.bank_products_view, name="bank_products"),
    path("bank/products/new/", views_products.bank_product_edit_view, name="bank_product_new"),
    path("bank/products/<int:product_id>/", views_products.bank_product_edit_view, name="bank_product_edit"),
    path("bank/rates/new/", views_products.bank_rate_new_view, name="bank_rate_new"),
    path("bank/<int:pk>/", views_bank.bank_request_view, name="bank_request_detail"),
    path("bank/<int:pk>/approve/", views_bank.bank_approve_view, name="bank_approve"),
    path("bank/<int:pk>/reject/", views_bank.bank_reject_view, name="bank_reject"),
    path("bank/<int:pk>/ask-information/", views_bank.bank_ask_information_view, name="bank_ask_information"),
    path("bank/<int:pk>/disbursements/", views_bank.bank_disburse_view, name="bank_disburse"),
    path("bank/<int:pk>/repayments/", views_bank.bank_repay_view, name="bank_repay"),
    path("bank/<int:pk>/close/", views_bank.bank_close_view, name="bank_close"),
    path("bank/<int:pk>/documents/<int:document_id>/", views_bank.bank_document_view, name="bank_document"),
]
