from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from . import views, views_notifications
from .middleware import csp_relaxed

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("account/api-token/", views.api_token, name="api-token"),
    path("notifications/", views_notifications.notifications_view, name="notifications"),
    path("notifications/count/", views_notifications.notification_count_view, name="notifications-count"),
    path("notifications/read-all/", views_notifications.notifications_read_all_view, name="notifications-read-all"),
    path(
        "notifications/<int:notification_id>/read/",
        views_notifications.notification_read_view,
        name="notification-read",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("about/verification/", views.about_verification, name="about-verification"),
    path("", include("portal.ledger.urls")),
    path("declarations/", include("declarations.urls")),
    path("logistics/", include("declarations.urls_logistics")),
    path("inspections/", include("inspections.urls")),
    path("certificates/", include("inspections.certificates.urls")),
    path("financing/", include("finance.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("portal.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's init script from ?script, so no inline script is needed.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # ReDoc's styled-components write <style> elements and its search runs in a blob: worker;
    # scripts stay 'self'-only, so only this page allows inline styles.
    path(
        "api/redoc/",
        csp_relaxed(style_src=["'unsafe-inline'"], worker_src=["'self'", "blob:"])(
            SpectacularRedocView.as_view(url_name="api-schema")
        ),
        name="api-redoc",
    ),
]
handler404 = views.not_found
# No static() route for MEDIA_ROOT, even under DEBUG: uploads (documents, photos, certificates, logistics
# CSV files) are served only by views that check who asks (DESIGN §8; the authorization matrix).
