"""Core records shared by every app: organisations, people and their roles, ports and
reference data (countries, currencies, HS codes)."""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .choices import ROLES_BY_ORGANISATION_KIND, OrganisationKind, PortKind, Role, SensitiveReason
from .validators import validate_uscc


def localised(name_en: str, name_zh: str) -> str:
    """The Chinese name when the active language is Chinese and one exists, else English."""
    language = get_language() or "en"
    return name_zh if language.startswith("zh") and name_zh else name_en


class Country(models.Model):
    alpha2 = models.CharField(_("ISO 3166 alpha-2"), max_length=2, primary_key=True)
    alpha3 = models.CharField(_("ISO 3166 alpha-3"), max_length=3, unique=True)
    numeric = models.CharField(_("ISO 3166 numeric"), max_length=3)
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["alpha2"]
        verbose_name = _("country")
        verbose_name_plural = _("countries")

    def __str__(self) -> str:
        return f"{self.alpha2} {localised(self.name_en, self.name_zh)}"


class Currency(models.Model):
    code = models.CharField(_("ISO 4217 code"), max_length=3, primary_key=True)
    numeric = models.CharField(_("ISO 4217 numeric"), max_length=3)
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100, blank=True)
    minor_units = models.PositiveSmallIntegerField(_("minor units"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("currency")
        verbose_name_plural = _("currencies")

    def __str__(self) -> str:
        return self.code


# Times are stored in UTC and shown in the ports' local time (DESIGN §4): both ports of the pair keep the
# deployment's TIME_ZONE (China Standard Time).
PORTS_TIME_ZONE = ZoneInfo(settings.TIME_ZONE)


class Port(models.Model):
    locode = models.CharField(_("UN/LOCODE"), max_length=5, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100, blank=True)
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="ports")
    timezone = models.CharField(_("time zone"), max_length=64)
    kind = models.CharField(_("kind"), max_length=10, choices=PortKind.choices)
    history = HistoricalRecords()

    class Meta:
        ordering = ["locode"]
        verbose_name = _("port")
        verbose_name_plural = _("ports")

    def __str__(self) -> str:
        return f"{localised(self.name_en, self.name_zh)} ({self.locode})"

    @property
    def name(self) -> str:
        return localised(self.name_en, self.name_zh)


class IntegratedPortPair(models.Model):
    """A river port and a hub sea port run as one integrated port."""

    river_port = models.ForeignKey(Port, on_delete=models.PROTECT, related_name="+")
    hub_port = models.ForeignKey(Port, on_delete=models.PROTECT, related_name="+")
    name_en = models.CharField(_("name (English)"), max_length=150)
    name_zh = models.CharField(_("name (Chinese)"), max_length=150, blank=True)
    since = models.DateField(_("in operation since"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name_en"]
        verbose_name = _("integrated port pair")
        verbose_name_plural = _("integrated port pairs")
        constraints = [
            models.UniqueConstraint(fields=["river_port", "hub_port"], name="unique_integrated_pair"),
            models.CheckConstraint(
                condition=~models.Q(river_port=models.F("hub_port")), name="integrated_pair_distinct_ports"
            ),
        ]

    def __str__(self) -> str:
        return localised(self.name_en, self.name_zh)


class HSCode(models.Model):
    """A Harmonized System chapter (2 digits), heading (4), subheading (6) or a national
    tariff line (8 or 10 digits)."""

    code = models.CharField(_("code"), max_length=10, primary_key=True)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    description_en = models.TextField(_("description (English)"))
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    is_leaf = models.BooleanField(_("leaf"), default=True, help_text=_("No more detailed code below this one."))
    sensitive_reason = models.CharField(
        _("sensitive because"), max_length=12, choices=SensitiveReason.choices, blank=True
    )
    sensitive_note = models.CharField(_("sensitivity note"), max_length=200, blank=True)
    unit_value_min = models.DecimalField(
        _("reference unit value, minimum"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    unit_value_max = models.DecimalField(
        _("reference unit value, maximum"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    value_unit = models.CharField(_("unit of the reference value"), max_length=12, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("HS code")
        verbose_name_plural = _("HS codes")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(unit_value_min__isnull=True)
                | models.Q(unit_value_max__isnull=True)
                | models.Q(unit_value_min__lte=models.F("unit_value_max")),
                name="hs_unit_value_range_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.description}"

    @property
    def level(self) -> int:
        return len(self.code)

    @property
    def chapter(self) -> str:
        return self.code[:2]

    @property
    def sensitive(self) -> bool:
        return bool(self.sensitive_reason)

    @property
    def description(self) -> str:
        return localised(self.description_en, self.description_zh)


class Organisation(models.Model):
    kind = models.CharField(_("kind"), max_length=12, choices=OrganisationKind.choices)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200, blank=True)
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="+", default="CN")
    uscc = models.CharField(
        _("Unified Social Credit Code"),
        max_length=18,
        null=True,
        blank=True,
        unique=True,
        validators=[validate_uscc],
        help_text=_("18 characters, required for organisations registered in mainland China."),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name_en"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return localised(self.name_en, self.name_zh)

    def clean(self) -> None:
        if self.country_id == "CN" and not self.uscc:
            raise ValidationError(
                {"uscc": _("Organisations registered in mainland China need a Unified Social Credit Code.")}
            )


class User(AbstractUser):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="members"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, blank=True)
    ports_served = models.ManyToManyField(
        Port,
        blank=True,
        related_name="officers",
        verbose_name=_("ports served"),
        help_text=_("For customs officers and supervisors: the ports whose declarations they work."),
    )
    history = HistoricalRecords(m2m_fields=[ports_served])

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def clean(self) -> None:
        super().clean()
        if self.is_superuser and not self.role:
            return
        if not self.organisation_id or not self.role:
            raise ValidationError(_("Every portal user belongs to an organisation and has a role."))
        allowed = ROLES_BY_ORGANISATION_KIND[OrganisationKind(self.organisation.kind)]
        if self.role not in allowed:
            raise ValidationError(
                {
                    "role": _("A member of a %(kind)s cannot have the role %(role)s.")
                    % {"kind": self.organisation.get_kind_display(), "role": Role(self.role).label}
                }
            )


class ServiceHeartbeat(models.Model):
    """The last time a background service (the Celery worker, beat) proved it was alive."""

    name = models.CharField(max_length=50, unique=True)
    last_seen = models.DateTimeField()
    detail = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_seen:%Y-%m-%d %H:%M:%S}"


class Notification(models.Model):
    """Something that happened which concerns one person; shown in the portal and sent by e-mail."""

    # No index of its own (declarations.models.declaration's UNINDEXED_FOREIGN_KEYS): notification_inbox leads with it.
    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications", db_index=False)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_inbox")]

    def __str__(self) -> str:
        return self.subject


from portal.ledger.models import LedgerCheckpoint, LedgerEntry, LedgerHead, LedgerNode  # noqa: E402,F401


class IdempotencyKey(models.Model):
    """A POST sent to the API with an ``Idempotency-Key`` header, and the response it got.

    The row is claimed (``completed_at`` empty) before the request runs and completed in
    the same transaction as the request's own writes, so a retry either replays the
    stored response or finds the request still in progress, never runs it twice.
    Keys are good for 24 hours (``portal.api.idempotency.KEY_LIFETIME``).
    """

    # No index of its own (declarations.models.declaration's UNINDEXED_FOREIGN_KEYS): the unique (user, key) leads with it.
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+", db_index=False)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the method, path and canonical body.")
    path = models.CharField(max_length=500)
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_content_type = models.CharField(max_length=100, blank=True)
    response_body = models.BinaryField(default=b"", blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_once_per_user")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_key_created")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
