from django.urls import include, path
from rest_framework.routers import SimpleRouter

from .logistics import router as logistics_router
from .views import DeclarationViewSet

router = SimpleRouter(trailing_slash=False)
router.register("declarations", DeclarationViewSet, basename="declaration")

urlpatterns = [
    path("", include(router.urls)),
]
urlpatterns += [path("", include(logistics_router.urls))]
