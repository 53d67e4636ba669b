from django.urls import include, path
from rest_framework.routers import SimpleRouter

from .logistics import router as logistics_router
from .queue import DeclarationAssignView, DeclarationQueueView
from .views import DeclarationViewSet

router = SimpleRouter(trailing_slash=False)
router.register("declarations", DeclarationViewSet, basename="declaration")

urlpatterns = [
    path("declarations/queue", DeclarationQueueView.as_view(), name="declaration-queue"),
    path("declarations/<int:pk>/assign", DeclarationAssignView.as_view(), name="declaration-assign"),
    path("", include(router.urls)),
]
urlpatterns += [path("", include(logistics_router.urls))]
