"""Risk rules and port tolerances, edited by customs supervisors; re-verification of open declarations.

Who may change what: only customs supervisors; a rule tied to a port, and a port's settings,
only by supervisors serving that port; a rule for every port by any supervisor. Every change is
validated with errors named by field, saved with the acting supervisor in its history, and
takes effect for the next verification. :func:`reverify_job_start` lets a supervisor apply new
rules to every open declaration of their ports at once: a Celery task queues them in batches
through the ordinary coalesced verification queue.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import roles
from portal.models import HSCode, Port, User

from ..choices import AWAITING_DECISION, Lane, Status
from ..models import (
    Declaration,
    PortRiskSettings,
    ReverifyJob,
    ReverifyJobStatus,
    RiskRule,
    VerificationRequest,
    VerificationRun,
)
from .crosscheck import verification_request

logger = logging.getLogger(__name__)

RULE_FIELDS = (
    "name",
    "port",
    "hs_prefix",
    "origin_country",
    "trader",
    "route_port",
    "min_value",
    "score",
    "forced_lane",
)
SETTINGS_FIELDS = (
    "gross_mass_tolerance_percent",
    "temperature_tolerance",
    "value_anomaly_factor",
    "random_selection_percent",
    "yellow_score",
    "red_score",
    "auto_release_green",
)
# Declarations whose verification still matters for a decision: waiting for one, or for an inspection.
OPEN_STATUSES = (*AWAITING_DECISION, Status.INSPECTION_REQUIRED)
REVERIFY_BATCH = 500


def _require_supervisor(actor: User) -> None:
    if not roles.is_supervisor(actor):
        raise PermissionDenied(_("Only customs supervisors can change risk rules and tolerances."))


def _served_port_ids(actor: User) -> set[int]:
    return set(actor.ports_served.values_list("pk", flat=True))


def risk_rule_may_edit(*, actor: User, rule: RiskRule) -> bool:
    """Whether ``actor`` may change ``rule``: a supervisor, serving the rule's port if it has one."""
    return roles.is_supervisor(actor) and (rule.port_id is None or rule.port_id in _served_port_ids(actor))


def _rule_errors(actor: User, values: dict) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    prefix = (values.get("hs_prefix") or "").strip()
    if prefix:
        if not prefix.isdigit():
            errors["hs_prefix"] = [_("Give the HS code or chapter as digits only, e.g. 94 or 940360.")]
        elif not HSCode.objects.filter(code__startswith=prefix).exists():
            errors["hs_prefix"] = [_("No HS code starts with %(prefix)s.") % {"prefix": prefix}]
    score = values.get("score") or 0
    if score < 0:
        errors["score"] = [_("The score cannot be negative.")]
    elif not score and not values.get("forced_lane"):
        errors["score"] = [_("Give a score above 0 or choose a forced lane; otherwise the rule does nothing.")]
    if values.get("forced_lane") and values["forced_lane"] not in Lane.values:
        errors["forced_lane"] = [_("Choose green, yellow or red.")]
    min_value = values.get("min_value")
    if min_value is not None and min_value < 0:
        errors["min_value"] = [_("The value cannot be negative.")]
    port = values.get("port")
    if port is not None and port.pk not in _served_port_ids(actor):
        errors["port"] = [
            _("You can only make rules for the ports you serve (%(ports)s).")
            % {"ports": ", ".join(actor.ports_served.values_list("locode", flat=True)) or "—"}
        ]
    return errors


def _save_rule(rule: RiskRule, actor: User, values: dict, reason: str) -> RiskRule:
    errors = _rule_errors(actor, values)
    if errors:
        raise ValidationError(errors)
    for name in RULE_FIELDS:
        if name in values:
            setattr(rule, name, values[name])
    rule.hs_prefix = (rule.hs_prefix or "").strip()
    rule.name = rule.name.strip()
    rule.score = rule.score or 0
    rule.full_clean()
    rule._history_user = actor  # history records who changed the rule
    rule._change_reason = reason
    rule.save()
    return rule


@transaction.atomic
def risk_rule_create(
    *,
    actor: User,
    name: str,
    score: int = 0,
    forced_lane: str = "",
    port: Port | None = None,
    hs_prefix: str = "",
    origin_country=None,
    trader=None,
    route_port: Port | None = None,
    min_value: Decimal | None = None,
) -> RiskRule:
    """Create an active rule. Requires a supervisor (serving ``port`` when given); raises
    ``ValidationError`` keyed by field. Applies to verifications from now on."""
    _require_supervisor(actor)
    values = {
        "name": name,
        "score": score,
        "forced_lane": forced_lane,
        "port": port,
        "hs_prefix": hs_prefix,
        "origin_country": origin_country,
        "trader": trader,
        "route_port": route_port,
        "min_value": min_value,
    }
    return _save_rule(RiskRule(active=True), actor, values, "created")


@transaction.atomic
def risk_rule_update(*, actor: User, rule_id: int, **values) -> RiskRule:
    """Change a rule's conditions and effect (any of ``RULE_FIELDS``). The supervisor must serve the
    rule's current port and its new one; history keeps the previous version and who changed it."""
    _require_supervisor(actor)
    unknown = set(values) - set(RULE_FIELDS)
    if unknown:
        raise TypeError(f"unknown risk rule fields: {sorted(unknown)}")
    # Lock: two supervisors saving the same rule are applied one after the other.
    rule = RiskRule.objects.select_for_update().get(pk=rule_id)
    if not risk_rule_may_edit(actor=actor, rule=rule):
        raise PermissionDenied(_("Only supervisors of the rule's port can change it."))
    merged = {name: getattr(rule, name) for name in RULE_FIELDS}
    merged.update(values)
    return _save_rule(rule, actor, merged, "updated")


@transaction.atomic
def risk_rule_disable(*, actor: User, rule_id: int) -> RiskRule:
    """Stop applying a rule (kept, with its history, and listed among the disabled rules)."""
    return _risk_rule_set_active(actor=actor, rule_id=rule_id, active=False)


@transaction.atomic
def risk_rule_enable(*, actor: User, rule_id: int) -> RiskRule:
    """Apply a disabled rule again."""
    return _risk_rule_set_active(actor=actor, rule_id=rule_id, active=True)


def _risk_rule_set_active(*, actor: User, rule_id: int, active: bool) -> RiskRule:
    _require_supervisor(actor)
    # Lock: see risk_rule_update.
    rule = RiskRule.objects.select_for_update().get(pk=rule_id)
    if not risk_rule_may_edit(actor=actor, rule=rule):
        raise PermissionDenied(_("Only supervisors of the rule's port can change it."))
    if rule.active != active:
        rule.active = active
        rule._history_user = actor
        rule._change_reason = "enabled" if active else "disabled"
        rule.save()
    return rule


@transaction.atomic
def port_risk_settings_update(*, actor: User, port_id: int, **values) -> PortRiskSettings:
    """Change a port's tolerances and thresholds (any of ``SETTINGS_FIELDS``). Only supervisors serving
    the port; the yellow threshold must be below the red one; history records the supervisor."""
    _require_supervisor(actor)
    unknown = set(values) - set(SETTINGS_FIELDS)
    if unknown:
        raise TypeError(f"unknown port settings fields: {sorted(unknown)}")
    if port_id not in _served_port_ids(actor):
        raise PermissionDenied(_("Only supervisors of this port can change its tolerances."))
    PortRiskSettings.objects.get_or_create(port_id=port_id)
    # Lock: two supervisors saving one port's settings are applied one after the other.
    settings = PortRiskSettings.objects.select_for_update().get(port_id=port_id)
    for name, value in values.items():
        setattr(settings, name, value)
    errors: dict[str, list[str]] = {}
    if (
        settings.yellow_score is not None
        and settings.red_score is not None
        and settings.yellow_score >= settings.red_score
    ):
        errors["red_score"] = [
            _("The red threshold must be above the yellow one (%(yellow)s).") % {"yellow": settings.yellow_score}
        ]
    try:
        settings.full_clean(validate_constraints=False)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    settings._history_user = actor
    settings._change_reason = "updated"
    settings.save()
    return settings


# Re-verification of every open declaration of a supervisor's ports --------------------------------


def _job_scope(port_ids):
    return Declaration.objects.filter(origin_port_id__in=list(port_ids), status__in=OPEN_STATUSES)


@transaction.atomic
def reverify_job_start(*, actor: User) -> ReverifyJob:
    """Start re-verifying every open declaration (awaiting a decision or an inspection) of the ports
    the supervisor serves. Sends ``declarations.reverify_job_run`` on commit."""
    _require_supervisor(actor)
    port_ids = _served_port_ids(actor)
    if not port_ids:
        raise PermissionDenied(_("You serve no port, so there is nothing to re-verify."))
    scope = _job_scope(port_ids)
    job = ReverifyJob.objects.create(
        requested_by=actor,
        total=scope.count(),
        last_scope_id=scope.aggregate(last=Max("pk"))["last"] or 0,
    )
    job.ports.set(port_ids)
    # After commit: the worker must find the job row.
    transaction.on_commit(lambda: _send_reverify_task(job.pk))
    return job


def _send_reverify_task(job_id: int) -> None:
    from ..tasks import reverify_job_run

    try:
        reverify_job_run.delay(job_id)
    except Exception:  # kombu raises several kinds when the broker is unreachable
        logger.warning("broker unreachable: re-verification job %s stays pending", job_id, exc_info=True)


def reverify_job_run(*, job_id: int, batch_size: int = REVERIFY_BATCH) -> ReverifyJob | None:
    """Queue the job's declarations for verification, ``batch_size`` at a time, each batch in its own
    transaction (so progress shows and tasks go out as it goes). Resumes from the job's cursor, so
    running it twice never queues a declaration twice; a finished job is left alone."""
    job = ReverifyJob.objects.filter(pk=job_id).first()
    if job is None or job.status in (ReverifyJobStatus.QUEUED, ReverifyJobStatus.FAILED):
        return job
    port_ids = list(job.ports.values_list("pk", flat=True))
    ReverifyJob.objects.filter(pk=job_id, started_at__isnull=True).update(started_at=timezone.now())
    while True:
        with transaction.atomic():
            # Lock the job: two runs of it (a re-sent task) take batches one after the other.
            job = ReverifyJob.objects.select_for_update().get(pk=job_id)
            if job.status == ReverifyJobStatus.QUEUED:
                return job
            ids = list(
                _job_scope(port_ids)
                .filter(pk__gt=job.cursor_id, pk__lte=job.last_scope_id)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                job.status = ReverifyJobStatus.QUEUED
                job.queued_at = timezone.now()
                job.save(update_fields=["status", "queued_at"])
                return job
            verification_request(ids)  # tasks are sent when this batch commits
            job.cursor_id = ids[-1]
            job.queued = min(job.total, job.queued + len(ids))
            job.status = ReverifyJobStatus.QUEUEING
            job.save(update_fields=["cursor_id", "queued", "status"])


@dataclass(frozen=True)
class ReverifyProgress:
    job: ReverifyJob
    verified: int  # declarations of the job with a verification run finished since the job started
    waiting: int  # declarations of the job's ports still waiting in the verification queue

    @property
    def finished(self) -> bool:
        return self.job.status == ReverifyJobStatus.FAILED or (
            self.job.status == ReverifyJobStatus.QUEUED and self.waiting == 0
        )

    @property
    def verified_percent(self) -> int:
        if self.finished:
            return 100
        return min(100, int(self.verified * 100 / self.job.total)) if self.job.total else 0


def reverify_job_get(*, actor: User, job_id: int) -> ReverifyJob:
    """A job of a port the supervisor serves (``ReverifyJob.DoesNotExist`` otherwise)."""
    if not roles.is_supervisor(actor):
        raise ReverifyJob.DoesNotExist
    return ReverifyJob.objects.filter(pk=job_id, ports__in=_served_port_ids(actor)).distinct().get()


def reverify_job_progress(*, job: ReverifyJob) -> ReverifyProgress:
    """How far the job got: declarations queued (stored on the job) and runs completed (read live)."""
    port_ids = list(job.ports.values_list("pk", flat=True))
    since = job.started_at or job.created_at
    # From the declarations' side: the open ones of the ports (an index) each probe their run (unique index).
    fresh_run = VerificationRun.objects.filter(
        declaration=OuterRef("pk"), version=OuterRef("version"), finished_at__gte=since
    )
    verified = _job_scope(port_ids).filter(pk__lte=job.last_scope_id).filter(Exists(fresh_run)).count()
    waiting = VerificationRequest.objects.filter(
        declaration__origin_port_id__in=port_ids,
        declaration_id__lte=job.last_scope_id,
    ).count()
    return ReverifyProgress(job=job, verified=min(verified, job.total), waiting=waiting)


def reverify_job_recent(*, actor: User, limit: int = 5) -> list[ReverifyJob]:
    if not roles.is_supervisor(actor):
        return []
    return list(
        ReverifyJob.objects.filter(ports__in=_served_port_ids(actor))
        .distinct()
        .select_related("requested_by")
        .order_by("-created_at", "-pk")[:limit]
    )


# Reads for the editor's pages ---------------------------------------------------------------------


def risk_rule_list(*, actor: User) -> dict[str, list[RiskRule]]:
    """Every rule, active and disabled, each marked with whether ``actor`` may change it."""
    served = _served_port_ids(actor)
    rules = list(
        RiskRule.objects.select_related("port", "route_port", "origin_country", "trader").order_by(
            "-active", "name", "pk"
        )
    )
    for rule in rules:
        rule.may_edit = roles.is_supervisor(actor) and (rule.port_id is None or rule.port_id in served)
    return {"active": [r for r in rules if r.active], "disabled": [r for r in rules if not r.active]}


def record_history(instance, fields: tuple[str, ...], *, limit: int = 30) -> list[dict]:
    """The instance's history, newest first: when, who, what kind of change, and which fields changed."""
    records = list(
        instance.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1]
    )
    model = type(instance)
    attnames = [model._meta.get_field(name).attname for name in fields]
    entries = []
    for index, record in enumerate(records[:limit]):
        older = records[index + 1] if index + 1 < len(records) else None
        changed = [
            model._meta.get_field(name).verbose_name
            for name, attname in zip(fields, attnames, strict=True)
            if older is not None and getattr(record, attname) != getattr(older, attname)
        ]
        entries.append(
            {
                "record": record,
                "user": record.history_user,
                "changed": changed,
                "reason": record.history_change_reason or "",
            }
        )
    return entries


def port_risk_settings_for(*, actor: User) -> list[tuple[Port, PortRiskSettings]]:
    """The ports the supervisor serves with their settings (defaults where none are stored yet)."""
    ports = list(actor.ports_served.order_by("locode"))
    stored = {s.port_id: s for s in PortRiskSettings.objects.filter(port__in=ports)}
    return [(port, stored.get(port.pk) or PortRiskSettings(port=port)) for port in ports]
