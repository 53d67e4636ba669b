from django.urls import include, path
from rest_framework.routers import SimpleRouter

from .views import DeclarationViewSet

router = SimpleRouter(trailing_slash=False)
router.register("declarations", DeclarationViewSet, basename="declaration")

urlpatterns = [
    path("", include(router.urls)),
]
