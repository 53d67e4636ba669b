from django.urls import path

from . import views

app_name = "certificates"

urlpatterns = [
    path("", views.certificate_list_view, name="list"),
    path("issue/<int:declaration_pk>/", views.certificate_issue_view, name="issue"),
    path("<int:pk>/", views.certificate_detail_view, name="detail"),
    path("<int:pk>/revoke/", views.certificate_revoke_view, name="revoke"),
    path("<int:pk>/pdf/", views.certificate_pdf_view, name="pdf"),
]
