from django.urls import path

from . import views, views_queue, views_review

app_name = "declarations"

urlpatterns = [
    path("", views.declaration_list_view, name="list"),
    path("new/", views.declaration_create_view, name="create"),
    path("queue/", views.declaration_queue_fragment_view, name="queue-fragment"),
    path("officer-queue/", views_queue.officer_queue_view, name="officer-queue"),
    path("officer-queue/list/", views_queue.officer_queue_list_view, name="officer-queue-list"),
    path("officer-queue/release/", views_queue.queue_release_view, name="officer-queue-release"),
    path("<int:pk>/assign/", views_queue.declaration_assign_view, name="assign"),
    path("items-template.csv", views.item_import_template_view, name="import-template"),
    path("<int:pk>/", views.declaration_detail_view, name="detail"),
    path("<int:pk>/verification/", views.declaration_verification_view, name="verification"),
    path("<int:pk>/decide/", views_review.declaration_decide_view, name="decide"),
    path("<int:pk>/holds/", views_review.hold_place_view, name="hold-place"),
    path("<int:pk>/holds/<int:hold_id>/lift/", views_review.hold_lift_view, name="hold-lift"),
    path("<int:pk>/review-warnings/", views_review.review_warnings_view, name="review-warnings"),
    path("<int:pk>/edit/", views.declaration_edit_view, name="edit"),
    path("<int:pk>/review/", views.declaration_review_view, name="review"),
    path("<int:pk>/submit/", views.declaration_submit_view, name="submit"),
    path("<int:pk>/resubmit/", views.declaration_resubmit_view, name="resubmit"),
    path("<int:pk>/cancel/", views.declaration_cancel_view, name="cancel"),
    path("<int:pk>/copy/", views.declaration_copy_view, name="copy"),
    path("<int:pk>/receipt/", views.declaration_receipt_view, name="receipt"),
    path("<int:pk>/items/import/", views.item_import_view, name="import-items"),
    path("<int:pk>/documents/", views.document_upload_view, name="document-upload"),
    path("<int:pk>/documents/<int:document_id>/", views.document_download_view, name="document-download"),
    path("<int:pk>/documents/<int:document_id>/remove/", views.document_remove_view, name="document-remove"),
]

# The supervisors' risk rules editor and the port dashboard.
from .urls_workspace import urlpatterns as workspace_urlpatterns  # noqa: E402

urlpatterns += workspace_urlpatterns
