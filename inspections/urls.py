from django.urls import path

from . import views

app_name = "inspections"

urlpatterns = [
    path("", views.inspections_home_view, name="home"),
    path("declaration/<int:pk>/", views.declaration_inspection_view, name="declaration"),
    path("declaration/<int:pk>/book/", views.booking_create_view, name="book"),
    path("bookings/<int:booking_id>/reschedule/", views.booking_reschedule_view, name="reschedule"),
    path("bookings/<int:booking_id>/cancel/", views.booking_cancel_view, name="cancel"),
    path("bookings/<int:booking_id>/no-show/", views.booking_no_show_view, name="no-show"),
    path("sites/", views.site_list_view, name="sites"),
    path("sites/new/", views.site_edit_view, name="site-new"),
    path("sites/<int:site_id>/edit/", views.site_edit_view, name="site-edit"),
    path("sites/<int:site_id>/day/", views.site_day_view, name="site-day"),
    path("sites/<int:site_id>/closures/", views.closure_add_view, name="closure-add"),
    path("closures/<int:closure_id>/remove/", views.closure_remove_view, name="closure-remove"),
    path("<int:inspection_id>/record/", views.inspection_record_view, name="record"),
    path("photos/<int:photo_id>/", views.photo_view, name="photo"),
]
