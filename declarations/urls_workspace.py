"""URLs of the supervisors' risk rules editor and the port dashboard (added to ``declarations.urls``)."""

from django.urls import path

from . import views_dashboard, views_rules

urlpatterns = [
    path("dashboard/", views_dashboard.dashboard_view, name="dashboard"),
    path("dashboard/refresh/", views_dashboard.dashboard_refresh_view, name="dashboard-refresh"),
    path("dashboard/<slug:chart>.csv", views_dashboard.dashboard_csv_view, name="dashboard-csv"),
    path("rules/", views_rules.rule_list_view, name="rules"),
    path("rules/new/", views_rules.rule_create_view, name="rule-create"),
    path("rules/<int:pk>/", views_rules.rule_edit_view, name="rule-edit"),
    path("rules/<int:pk>/disable/", views_rules.rule_disable_view, name="rule-disable"),
    path("rules/ports/<str:locode>/", views_rules.port_settings_view, name="port-settings"),
    path("rules/reverify/", views_rules.reverify_start_view, name="reverify-start"),
    path("rules/reverify/<int:pk>/", views_rules.reverify_detail_view, name="reverify-detail"),
    path("rules/reverify/<int:pk>/progress/", views_rules.reverify_progress_view, name="reverify-progress"),
]
