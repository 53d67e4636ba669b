from django.urls import path

from . import views_logistics as views

app_name = "logistics"

urlpatterns = [
    path("uploads/", views.logistics_upload_list_view, name="uploads"),
    path("uploads/<int:pk>/", views.logistics_upload_detail_view, name="upload-detail"),
    path("uploads/<int:pk>/progress/", views.logistics_upload_progress_view, name="upload-progress"),
    path("uploads/<int:pk>/errors.csv", views.logistics_upload_errors_view, name="upload-errors"),
    path("templates/<str:kind>.csv", views.logistics_template_view, name="template"),
]
