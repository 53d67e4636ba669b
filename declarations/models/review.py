"""Officers' work on a declaration: who is working it, and holds placed by the other port."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from portal.models import Port

from .declaration import Declaration


class Assignment(models.Model):
    """The officer working a declaration now, so two officers do not work it unknowingly."""

    declaration = models.OneToOneField(
        Declaration, on_delete=models.CASCADE, primary_key=True, related_name="assignment"
    )
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments")
    assigned_at = models.DateTimeField(default=timezone.now)
    note = models.CharField(
        _("note"), max_length=300, blank=True, help_text=_("Why the declaration was taken over from another officer.")
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")

    def __str__(self) -> str:
        return f"{self.declaration} → {self.officer}"


class Hold(models.Model):
    """A hold placed by an officer of the other port of the pair; release is blocked until it is lifted."""

    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="holds")
    port = models.ForeignKey(Port, on_delete=models.PROTECT, related_name="+", verbose_name=_("placed at port"))
    reason = models.CharField(_("reason"), max_length=500)
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    placed_at = models.DateTimeField(default=timezone.now)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lift_note = models.CharField(_("note on lifting"), max_length=500, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-placed_at", "-id"]
        verbose_name = _("hold")
        verbose_name_plural = _("holds")
        constraints = [
            # One active hold per declaration and port: a second officer adds nothing but noise.
            models.UniqueConstraint(
                fields=["declaration", "port"],
                condition=models.Q(lifted_at__isnull=True),
                name="one_active_hold_per_port",
            ),
        ]

    def __str__(self) -> str:
        return f"hold on {self.declaration} by {self.port_id}"

    @property
    def active(self) -> bool:
        return self.lifted_at is None
