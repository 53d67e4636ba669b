"""Cross-verification: queueing declarations for verification and storing what the rules find.

Queueing is coalesced: a declaration waiting for verification has one ``VerificationRequest``
row and a task is sent only when that row is created; more evidence just moves its
``requested_at`` forward. A run notes when it started and, when it finishes, removes the row
only if nothing was requested meanwhile — otherwise it hands the row back (not started) and
sends one more run. So a burst of a thousand events for one declaration causes a handful of runs,
not a thousand; and the row of a run that died (worker killed, broker down) stays until the sweep
sends it again.

A task claims its declaration's row (marks it started) and, with it, up to
``VERIFICATION_BATCH_SIZE`` other rows that are due (past the debounce delay, not started or
started so long ago that the run must have died), and verifies them together with the batch
path, which loads the evidence of all of them at once. The tasks queued for the declarations it
took find their row started or gone and do nothing; so a backlog is drained by a few tasks.
"""

import contextlib
import functools
import hashlib
import hmac
import logging
import operator
import time
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import DatabaseError, OperationalError, connection, transaction
from django.db.models import Exists, OuterRef, Q, prefetch_related_objects
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.choices import Role
from portal.exceptions import TransitionNotAllowed
from portal.ledger.canonical import to_json_value
from portal.models import User
from portal.services import notifications_send

from ..choices import ALERTING_CODES, Action, ContainerEventType, Lane, Status, VerificationState
from ..crosscheck.evidence import Finding
from ..crosscheck.loader import (
    active_risk_rules,
    declarations_concerned,
    evidence_bundles_of,
    port_settings,
    port_settings_facts,
)
from ..crosscheck.risk import risk_assessment
from ..crosscheck.rules import findings_for
from ..models import (
    Declaration,
    DeclarationContainer,
    PortRiskSettings,
    VerificationRequest,
    VerificationRun,
    VerificationWarning,
)
from ..models.declaration import warning_codes_text
from .workflow import declaration_lane_set, declaration_system_transition

logger = logging.getLogger(__name__)

# Statuses in which new evidence still matters: before a decision (warnings and lane), and after
# release until the goods have left (a seal broken on the barge, a container loaded too early).
VERIFIABLE = [
    Status.SUBMITTED,
    Status.UNDER_REVIEW,
    Status.RESUBMITTED,
    Status.INSPECTION_REQUIRED,
    Status.INSPECTED,
    Status.RELEASED,
    Status.DEPARTED,
]
# Statuses in which the verification may still set the lane.
LANE_OPEN = [Status.SUBMITTED, Status.RESUBMITTED, Status.UNDER_REVIEW]
SWEEP_AFTER = timedelta(minutes=2)


_last_trigger = {"at": float("-inf")}  # when this process last sent verification tasks (time.monotonic)


def trigger_window() -> float:
    """How long after sending a verification task this process sends none (seconds; 0 = never skip).

    At most half the debounce delay, so the task sent first runs after every entry it must claim
    has been committed (see :func:`_send_verification_tasks`).
    """
    return max(0.0, min(settings.VERIFICATION_TRIGGER_WINDOW_SECONDS, settings.VERIFICATION_DEBOUNCE_SECONDS / 2))


def _send_verification_tasks(declaration_ids: list[int]) -> None:
    """Send the tasks that verify these queued declarations after the debounce delay (so a burst of
    evidence is seen by one run); if the broker is down, leave it to the sweep.

    One task per ``VERIFICATION_BATCH_SIZE`` declarations: each claims its own entry and the due
    backlog (:func:`declarations_verify_queued`). None at all when this process sent one less than
    :func:`trigger_window` ago: that task runs ``d`` (the debounce) after it was sent, which is after
    these entries were committed (they are, when this runs on commit, and ``window < d``), and it
    claims every entry requested up to ``window`` after it was sent — these included. Under load this
    turns fifty task messages a second into a few, in the web process and in the workers.
    """
    from ..tasks import declaration_verify

    if not declaration_ids:
        return
    app = declaration_verify.app
    try:
        if app.conf.task_always_eager:
            for declaration_id in declaration_ids:
                declaration_verify.apply_async((declaration_id,), countdown=settings.VERIFICATION_DEBOUNCE_SECONDS)
            return
        now = time.monotonic()
        if now - _last_trigger["at"] < trigger_window():
            return
        heads = declaration_ids[:: max(1, settings.VERIFICATION_BATCH_SIZE)]
        # One producer (one broker connection) for the whole list.
        with app.producer_or_acquire() as producer:
            for declaration_id in heads:
                declaration_verify.apply_async(
                    (declaration_id,), countdown=settings.VERIFICATION_DEBOUNCE_SECONDS, producer=producer
                )
        _last_trigger["at"] = now
    except Exception:  # kombu raises several kinds when the broker is unreachable
        logger.warning(
            "broker unreachable: %d declaration(s) will be verified by the sweep", len(declaration_ids), exc_info=True
        )


def _requests_upsert(declaration_ids: list[int], now) -> list[int]:
    """Create or move forward the waiting requests; returns the declarations that need a task: all but
    those a run has started (that run hands its entry back, with a task, when it sees newer evidence).

    An entry that was already waiting counts too: a claim may have skipped it while this transaction
    held its row (``SKIP LOCKED``), and the task sent now (or the one this process sent within the
    trigger window) claims it once this commits. PostgreSQL: one statement; its CTEs share one
    snapshot, so ``running`` is what was started before the upsert.
    """
    if connection.vendor == "postgresql":
        table = VerificationRequest._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH running AS (SELECT declaration_id FROM {table} "  # noqa: S608 — model's table
                "WHERE declaration_id = ANY(%s) AND started_at IS NOT NULL), "
                # In id order: two transactions queueing overlapping declarations lock their rows in the
                # same order, so they wait for each other instead of deadlocking.
                f"upserted AS (INSERT INTO {table} (declaration_id, requested_at, queued_at) "
                "SELECT id, %s, %s FROM unnest(%s) AS id ORDER BY id "
                "ON CONFLICT (declaration_id) DO UPDATE SET requested_at = EXCLUDED.requested_at "
                "RETURNING declaration_id) "
                "SELECT declaration_id FROM upserted WHERE declaration_id NOT IN (SELECT declaration_id FROM running)",
                [declaration_ids, now, now, declaration_ids],
            )
            needing = {row[0] for row in cursor.fetchall()}
        return [pk for pk in declaration_ids if pk in needing]
    waiting = VerificationRequest.objects.filter(declaration_id__in=declaration_ids)
    existing = dict(waiting.values_list("declaration_id", "started_at"))
    if existing:
        waiting.update(requested_at=now)
    VerificationRequest.objects.bulk_create(
        [
            VerificationRequest(declaration_id=pk, requested_at=now, queued_at=now)
            for pk in declaration_ids
            if pk not in existing
        ],
        ignore_conflicts=True,
    )
    return [pk for pk in declaration_ids if existing.get(pk) is None]


def verification_request(declaration_ids: list[int]) -> None:
    """Queue the declarations for verification after the current transaction commits (coalesced)."""
    if not declaration_ids:
        return
    new = _requests_upsert(list(dict.fromkeys(declaration_ids)), timezone.now())
    # After commit: the worker must see what this transaction wrote, and a rollback sends nothing.
    transaction.on_commit(lambda: _send_verification_tasks(new))


def verification_request_for_evidence(*, transport_documents: set[str], container_numbers: set[str]) -> None:
    """New logistics records arrived: queue every live declaration they concern."""
    verification_request(
        declarations_concerned(
            transport_documents=transport_documents,
            container_numbers=container_numbers,
            statuses=VERIFIABLE,
        )
    )


def verification_request_for_events(*, container_numbers: set[str], routine: dict[int, set[str]]) -> None:
    """New container events: queue every live declaration of the containers in ``container_numbers`` (their
    events are ones a rule reads, ``rules.event_matters``) and, for ``routine`` (port id → containers of
    events no rule reads on the route), the live declarations of those containers whose route does not pass
    that port (``rules.route_mismatch`` reads those). One query."""
    conditions = [Q(number__in=container_numbers)] if container_numbers else []
    conditions += [
        Q(number__in=numbers)
        & ~Q(declaration__origin_port_id=port_id)
        & ~Q(declaration__transfer_port_id=port_id)
        & ~Q(declaration__foreign_port_id=port_id)
        for port_id, numbers in routine.items()
    ]
    if not conditions:
        return
    verification_request(
        list(
            DeclarationContainer.objects.filter(
                functools.reduce(operator.or_, conditions), declaration__status__in=VERIFIABLE
            )
            .order_by()
            .values_list("declaration_id", flat=True)
            .distinct()
        )
    )


def verification_request_for_readings(*, open_seals: set[str], temperatures: set[str]) -> None:
    """New sensor readings that a rule reads (``rules.reading_matters``): queue every live declaration of the
    containers reported with an open seal, and of those with a temperature reading where the declaration
    gives that container a temperature range (``rules.temperature_excursion`` reads no other)."""
    concerned = declarations_concerned(transport_documents=set(), container_numbers=open_seals, statuses=VERIFIABLE)
    if temperatures:
        concerned += DeclarationContainer.objects.filter(
            number__in=temperatures,
            temperature_min__isnull=False,
            temperature_max__isnull=False,
            declaration__status__in=VERIFIABLE,
        ).values_list("declaration_id", flat=True)
    verification_request(concerned)


def selection_draw(declaration_id: int, version: int) -> Decimal:
    """A number in [0, 100) that is random across declarations but the same for every run of one version."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"selectivity:{declaration_id}:{version}".encode(), hashlib.sha256
    ).digest()
    return Decimal(int.from_bytes(digest[:4], "big") % 10_000) / 100


def declaration_verify(*, declaration_id: int) -> VerificationRun | None:
    """Verify the declaration's current version, store the result (replacing an earlier run of the
    same version) and finish its queue entry. Safe to run twice.

    Writes the warnings (and the declaration's ``current_warning_codes``, which the officers' queue
    filters on), sets the lane (starting the review, or changing the lane of one already under
    review), releases a green declaration where the port's supervisor enabled it, alerts
    the officers of the route's ports about ``ALERTING_CODES`` warnings this run raised first,
    and closes a released declaration as departed once every container has departed.
    """
    started = timezone.now()
    VerificationRequest.objects.filter(declaration_id=declaration_id).update(started_at=started)
    run = _verify(declaration_id)
    _requests_finish([declaration_id], started)
    return run


def declarations_verify_queued(*, declaration_id: int | None, batch_size: int | None = None) -> list[int]:
    """What a ``declarations.verify`` task does: claim the declaration's queue entry and the entries
    that are due, up to ``batch_size`` (default ``VERIFICATION_BATCH_SIZE``) in all, verify their
    declarations together (:func:`declarations_verify_batch`'s path, with the results
    :func:`declaration_verify` gives one by one) and finish the entries.

    Requires nothing. An entry already finished or claimed by a run in progress is left to that run
    (or the one it sends when more evidence came); the due ones are still claimed, since processes
    send one task for all they queue within a short window (:func:`_send_verification_tasks`).
    ``declaration_id=None`` claims due entries only. When the claim is full, one more task is sent
    at once for the rest of the backlog. Entries that got evidence during the run go back to the
    queue with one more task. If the batch fails on a transient database error the entries go back
    to the queue and the error is raised (the task retries); on any other error its declarations
    are verified one by one, so one that cannot be verified holds up no other. Returns the
    declarations claimed.
    """
    started = timezone.now()
    limit = batch_size or settings.VERIFICATION_BATCH_SIZE
    ids = _requests_claim(declaration_id, started, limit)
    if not ids:
        return []
    if len(ids) >= limit:
        _send_backlog_task()
    try:
        _verify_batch(sorted(ids))
    except OperationalError:
        with contextlib.suppress(DatabaseError):  # a lost connection cannot hand back: the sweep will
            _requests_release(ids, started)
        raise
    except Exception:
        if len(ids) == 1:
            raise  # as a failed one-by-one run: the entry stays started, and the sweep sends it again
        logger.exception("verification of a batch of %d failed; verifying them one by one", len(ids))
        _verify_claimed_one_by_one(ids, started)
        return ids
    _requests_finish(ids, started)
    return ids


def _send_backlog_task() -> None:
    """A task, now, for due entries beyond a full batch (another worker may take it at once).

    Not coalesced and not counted as this process's last trigger: it runs at once, before entries
    queued in the window after it would be committed.
    """
    from ..tasks import declaration_verify

    try:
        declaration_verify.apply_async((None,))
    except Exception:  # kombu raises several kinds when the broker is unreachable
        logger.warning("broker unreachable: the rest of the verification backlog waits for the sweep", exc_info=True)


def _requests_claim(declaration_id: int | None, started, limit: int) -> list[int]:
    """Mark started the declaration's own queue entry (if claimable) and due ones up to ``limit`` in all
    (queued before the debounce delay less :func:`trigger_window`, oldest first: ``queued_at``, which
    evidence does not move, so a declaration whose records keep coming is not left waiting).

    "Claimable" means not started, or started before ``SWEEP_AFTER`` (that run died: the sweep's
    definition). The due entries are claimed even when the own one is not: tasks this or another
    process did not send (:func:`_send_verification_tasks`) rely on them. ``declaration_id=None``
    claims due entries only. The claims commit at once (the own entry first, then the others), so
    other workers see them; a run that dies after them leaves the entries started, for the sweep.
    """
    claimable = Q(started_at__isnull=True) | Q(started_at__lt=started - SWEEP_AFTER)
    own = []
    # Lock (waiting, one statement): a request for this declaration being committed right now sent no
    # task of its own, so it must be claimed once it commits, not skipped.
    if declaration_id is not None and VerificationRequest.objects.filter(
        claimable, declaration_id=declaration_id
    ).update(started_at=started):
        own = [declaration_id]
    if limit <= len(own):
        return own
    due = started - timedelta(seconds=settings.VERIFICATION_DEBOUNCE_SECONDS - trigger_window())
    with transaction.atomic():
        # Lock, skipping rows another worker holds: each due entry goes to one batch only, and no claim
        # waits for another (PostgreSQL re-checks the condition on a row claimed since our snapshot).
        backlog = list(
            VerificationRequest.objects.select_for_update(skip_locked=True)
            .filter(claimable, queued_at__lte=due)
            .exclude(declaration_id__in=own)
            .order_by("queued_at")
            .values_list("declaration_id", flat=True)[: limit - len(own)]
        )
        if backlog:
            VerificationRequest.objects.filter(declaration_id__in=backlog).update(started_at=started)
    return [*own, *backlog]


def _requests_locked(declaration_ids: list[int]) -> None:
    # Lock in id order, as the upsert does: a finish or release of a batch and a logistics call
    # queueing overlapping declarations wait for each other instead of deadlocking.
    list(
        VerificationRequest.objects.select_for_update()
        .filter(declaration_id__in=declaration_ids)
        .order_by("declaration_id")
        .values_list("declaration_id", flat=True)
    )


@transaction.atomic
def _requests_release(declaration_ids: list[int], started) -> None:
    """Hand back, not started, the entries a run that started at ``started`` claimed and did not finish."""
    _requests_locked(declaration_ids)
    VerificationRequest.objects.filter(declaration_id__in=declaration_ids, started_at=started).update(started_at=None)


def _requests_finish(declaration_ids: list[int], started) -> None:
    """Finish the queue entries of a run that started at ``started``: remove those with nothing requested
    since; hand back the others (evidence arrived while it looked) with one more task each."""
    with transaction.atomic():
        _requests_locked(declaration_ids)
        VerificationRequest.objects.filter(declaration_id__in=declaration_ids, requested_at__lte=started).delete()
        # Only entries still marked with this run's start: one created during the run sent its own
        # task, and one the sweep handed on belongs to another run.
        again = list(
            VerificationRequest.objects.filter(declaration_id__in=declaration_ids, started_at=started).values_list(
                "declaration_id", flat=True
            )
        )
        if again:
            _requests_release(again, started)
            # After commit: the task must find its entry handed back, or it would do nothing.
            transaction.on_commit(lambda: _send_verification_tasks(again))


def _verify_claimed_one_by_one(declaration_ids: list[int], started) -> None:
    """After a failed batch: verify its declarations one at a time. The entry of one that fails stays
    started (the sweep sends it again later, and no batch retries it meanwhile); the first error is
    raised once the others are done."""
    error = None
    for pk in sorted(declaration_ids):
        try:
            _verify(pk)
        except Exception as failure:
            logger.exception("verification of declaration %s failed", pk)
            error = error or failure
            continue
        _requests_finish([pk], started)
    if error is not None:
        raise error


@transaction.atomic
def _verify(declaration_id: int) -> VerificationRun | None:
    # Lock: a transition (amend, decision) and a verification of one declaration must not interleave,
    # and two runs for one declaration must not both replace the result.
    declaration = Declaration.objects.select_for_update(of=("self",)).filter(pk=declaration_id).first()
    if declaration is None or declaration.status not in VERIFIABLE:
        return None
    bundle = evidence_bundles_of([declaration])[declaration_id]
    findings = findings_for(bundle)
    port = port_settings(declaration.origin_port_id)
    assessment = risk_assessment(
        bundle,
        findings,
        active_risk_rules(),
        port_settings_facts(port),
        selection_draw=selection_draw(declaration.pk, declaration.version),
    )
    run, created = VerificationRun.objects.get_or_create(
        declaration=declaration,
        version=declaration.version,
        defaults={"state": VerificationState.DONE},
    )
    run.score = assessment.score
    run.lane = assessment.lane
    run.lane_reason = " ".join(assessment.reasons)[:300]
    run.randomly_selected = assessment.randomly_selected
    run.runs = 1 if created else run.runs + 1
    run.finished_at = timezone.now()
    run.save()
    previous = _warnings_store([(declaration, run, findings)], [] if created else [run]).get(run.pk, set())
    codes = warning_codes_text(f.code for f in findings)
    if codes != declaration.current_warning_codes:
        declaration.current_warning_codes = codes
        # Derived from the warnings just written (no history of its own): a plain UPDATE of one column.
        Declaration.objects.filter(pk=declaration.pk).update(current_warning_codes=codes)
    if declaration.status in LANE_OPEN:
        _apply_lane(declaration, assessment.lane, run.lane_reason, auto_release=port.auto_release_green)
    fresh_alerts = [f for f in findings if f.code in ALERTING_CODES and (f.code, f.key) not in previous]
    if fresh_alerts:
        _alert_officers_bulk([(declaration, fresh_alerts)])
    if declaration.status == Status.RELEASED and goods_have_left(bundle):
        declaration_system_transition(
            declaration_id=declaration.pk, action=Action.DEPART, note=_("Every container departed after release")
        )
    return run


def _warnings_store(
    results: list[tuple[Declaration, VerificationRun, list[Finding]]], runs_before: list[VerificationRun]
) -> dict[int, set[tuple[str, str]]]:
    """Make each run's warnings its findings; returns, by run id, the (code, key) of the warnings
    ``runs_before`` (the runs verified earlier) had.

    A warning found again unchanged keeps its row and the time it was first raised; one whose
    severity, message or evidence changed is written anew with that time; one no longer found is
    deleted. A re-verification that finds what it found before writes no warning at all.
    """
    stored: dict[int, dict[tuple[str, str], tuple]] = {}
    for pk, run_id, code, key, severity, message, evidence, raised_at in VerificationWarning.objects.filter(
        run__in=runs_before
    ).values_list("pk", "run_id", "code", "key", "severity", "message", "evidence", "raised_at"):
        stored.setdefault(run_id, {})[code, key] = (pk, (severity, message, evidence), raised_at)
    gone, fresh = [], []
    for declaration, run, findings in results:
        before = stored.get(run.pk, {})
        kept = set()
        for finding in findings:
            warning = VerificationWarning(
                run=run,
                declaration=declaration,
                code=finding.code,
                severity=finding.severity,
                message=finding.message[:500],
                key=finding.key[:100],
                evidence=to_json_value(finding.evidence),
            )
            found = before.get((warning.code, warning.key))
            if found is not None:
                if found[1] == (warning.severity, warning.message, warning.evidence):
                    kept.add((warning.code, warning.key))
                    continue
                warning.raised_at = found[2]
            fresh.append(warning)
        gone.extend(row[0] for code_key, row in before.items() if code_key not in kept)
    if gone:  # before the insert: a changed warning's new row takes the (run, code, key) of its old one
        VerificationWarning.objects.filter(pk__in=gone).delete()
    VerificationWarning.objects.bulk_create(fresh)
    return {run_id: set(rows) for run_id, rows in stored.items()}


def goods_have_left(bundle) -> bool:
    """True when every declared container has a ``departed`` event at a port of the route after release."""
    facts = bundle.declaration
    if not facts.containers or facts.released_at is None:
        return False
    departed = {
        event.container_number
        for event in bundle.events
        if event.event_type == ContainerEventType.DEPARTED
        and event.port in facts.route_ports
        and event.occurred_at >= facts.released_at
    }
    return facts.container_numbers <= departed


def _apply_lane(declaration: Declaration, lane: str, reason: str, *, auto_release: bool) -> None:
    if declaration.status in (Status.SUBMITTED, Status.RESUBMITTED):
        declaration = declaration_system_transition(
            declaration_id=declaration.pk, action=Action.START_REVIEW, lane=lane, note=reason
        )
    elif declaration.status == Status.UNDER_REVIEW and declaration.lane != lane:
        declaration = declaration_lane_set(declaration_id=declaration.pk, lane=lane, reason=reason)
    if auto_release and lane == Lane.GREEN and declaration.status == Status.UNDER_REVIEW:
        # Held by the other port of the pair: an officer releases once the hold is lifted.
        with contextlib.suppress(TransitionNotAllowed):
            declaration_system_transition(
                declaration_id=declaration.pk, action=Action.RELEASE, note=_("Green lane: released automatically")
            )


def _alert_officers_bulk(alerts: list[tuple[Declaration, list]]) -> None:
    """Tell the active officers and supervisors serving each declaration's origin or transfer port about
    its findings, one notification per finding: for a whole batch, one query for the officers of every
    port concerned and one insert (``notifications_send``)."""
    if not alerts:
        return
    ports = {port for declaration, _findings in alerts for port in _alerted_ports(declaration)}
    serving = User.ports_served.through.objects.filter(
        port_id__in=ports, user__is_active=True, user__role__in=[Role.CUSTOMS_OFFICER, Role.CUSTOMS_SUPERVISOR]
    ).select_related("user")
    officers_of: dict[int, list[User]] = {}
    for row in serving.order_by("user_id"):
        officers_of.setdefault(row.port_id, []).append(row.user)
    notices = []
    for declaration, findings in alerts:
        recipients = list(
            {user.pk: user for port in _alerted_ports(declaration) for user in officers_of.get(port, [])}.values()
        )
        link = reverse("declarations:detail", args=[declaration.pk])
        for finding in findings:
            subject = _("%(code)s on %(reference)s") % {"code": finding.code, "reference": declaration}
            notices.append((recipients, subject, finding.message, link))
    notifications_send(notices)


def _alerted_ports(declaration: Declaration) -> list[int]:
    return [port for port in (declaration.origin_port_id, declaration.transfer_port_id) if port]


def verification_sweep(*, older_than: timedelta = SWEEP_AFTER) -> int:
    """Re-send what was never verified: waiting declarations whose current version has no result
    ``older_than`` after they changed, and queue entries whose run never started or never finished."""
    cutoff = timezone.now() - older_than
    has_run = VerificationRun.objects.filter(declaration=OuterRef("pk"), version=OuterRef("version"))
    unverified = list(
        Declaration.objects.filter(status__in=LANE_OPEN, updated_at__lt=cutoff)
        .filter(~Exists(has_run))
        .values_list("pk", flat=True)[:5000]
    )
    stuck = list(
        VerificationRequest.objects.filter(queued_at__lt=cutoff)
        .filter(Q(started_at__isnull=True) | Q(started_at__lt=cutoff))
        .values_list("declaration_id", flat=True)[:5000]
    )
    ids = list(dict.fromkeys(unverified + stuck))
    with transaction.atomic():
        VerificationRequest.objects.bulk_create(
            [VerificationRequest(declaration_id=pk) for pk in unverified], ignore_conflicts=True
        )
        # A run that started before the cutoff died: hand its entries back so the tasks sent now claim them.
        _requests_locked(stuck)
        VerificationRequest.objects.filter(declaration_id__in=stuck, started_at__lt=cutoff).update(started_at=None)
        # After commit: the tasks must see the entries created and handed back here.
        transaction.on_commit(lambda: _send_verification_tasks(ids))
    return len(ids)


# --- many declarations at once -----------------------------------------------------------------------------------


def declarations_verify_batch(*, declaration_ids: list[int]) -> dict[int, VerificationRun]:
    """Verify many declarations in one transaction, with the results :func:`declaration_verify` gives
    one by one: the same runs, warnings, lanes, history, ledger entries and notifications.

    Evidence is loaded once for the batch (``evidence_bundles_of``), runs and warnings are written
    in bulk, and the review transitions and lane changes are saved in bulk with their history;
    each transition still appends its own ledger entry (two queries). A declaration whose port
    releases green declarations automatically, or that raises an alerting warning for the first
    time, takes the one-by-one path for that step. Finishes the queue entries like
    ``declaration_verify`` and sends one more run for those that got new evidence meanwhile.
    Returns the runs by declaration id (declarations not in a verifiable status are left out).
    """
    ids = sorted(set(declaration_ids))
    if not ids:
        return {}
    started = timezone.now()
    VerificationRequest.objects.filter(declaration_id__in=ids).update(started_at=started)
    runs = _verify_batch(ids)
    _requests_finish(ids, started)
    return runs


@transaction.atomic
def _verify_batch(ids: list[int]) -> dict[int, VerificationRun]:
    from portal.ledger.services import ledger_append

    from ..choices import TRANSITIONS
    from ..models.declaration import lane_queue_rank
    from .summary import PUBLIC_SUMMARY_FIELDS, declaration_public_summary

    # Lock, in id order (two batches never deadlock): as in _verify, a transition or another run of
    # the same declaration waits until this batch commits.
    declarations = list(
        Declaration.objects.select_for_update(of=("self",))
        .filter(pk__in=ids, status__in=VERIFIABLE)
        .select_related("declarant")
        .order_by("pk")
    )
    if not declarations:
        return {}
    bundles = evidence_bundles_of(declarations)
    rules = active_risk_rules()
    ports = {
        s.port_id: s
        for s in PortRiskSettings.objects.filter(
            port_id__in={declaration.origin_port_id for declaration in declarations if declaration.origin_port_id}
        )
    }
    versions = {declaration.pk: declaration.version for declaration in declarations}
    existing = {
        run.declaration_id: run
        for run in VerificationRun.objects.filter(declaration_id__in=versions)
        if run.version == versions[run.declaration_id]
    }

    now = timezone.now()
    results = {}
    new_runs, old_runs = [], []
    for declaration in declarations:
        bundle = bundles[declaration.pk]
        findings = findings_for(bundle)
        port = ports.get(declaration.origin_port_id) or PortRiskSettings()
        assessment = risk_assessment(
            bundle,
            findings,
            rules,
            port_settings_facts(port),
            selection_draw=selection_draw(declaration.pk, declaration.version),
        )
        run = existing.get(declaration.pk)
        if run is None:
            run = VerificationRun(
                declaration=declaration, version=declaration.version, state=VerificationState.DONE, runs=1
            )
            new_runs.append(run)
        else:
            run.runs += 1
            old_runs.append(run)
        run.score = assessment.score
        run.lane = assessment.lane
        run.lane_reason = " ".join(assessment.reasons)[:300]
        run.randomly_selected = assessment.randomly_selected
        run.finished_at = now
        results[declaration.pk] = (declaration, run, findings, port)
    VerificationRun.objects.bulk_create(new_runs)
    _update_in_bulk(
        VerificationRun, old_runs, ["score", "lane", "lane_reason", "randomly_selected", "runs", "finished_at"]
    )
    previous = _warnings_store(
        [(declaration, run, findings) for declaration, run, findings, _port in results.values()], old_runs
    )
    codes_changed = []
    for declaration, _run, findings, _port in results.values():
        codes = warning_codes_text(f.code for f in findings)
        if codes != declaration.current_warning_codes:
            declaration.current_warning_codes = codes
            codes_changed.append(declaration)
    _update_in_bulk(Declaration, codes_changed, ["current_warning_codes"])

    # Lanes: the review transition or lane change of _apply_lane, saved in bulk with its history.
    changed: list[tuple[Declaration, str, str]] = []  # (declaration, ledger action, note)
    one_by_one = []
    for declaration, run, _findings, port in results.values():
        if declaration.status not in LANE_OPEN:
            continue
        if port.auto_release_green and run.lane == Lane.GREEN:
            one_by_one.append((declaration, run, port))
            continue
        if declaration.status in (Status.SUBMITTED, Status.RESUBMITTED):
            declaration.status = TRANSITIONS[Action.START_REVIEW][1]
            action = Action.START_REVIEW
        elif declaration.status == Status.UNDER_REVIEW and declaration.lane != run.lane:
            action = "lane"
        else:
            continue
        declaration.lane = run.lane
        declaration.queue_rank = lane_queue_rank(declaration.lane)
        declaration.updated_at = timezone.now()
        declaration._history_user = None
        declaration._change_reason = f"{action}: {run.lane_reason}"[:100] if run.lane_reason else action
        changed.append((declaration, action, run.lane_reason))
    if changed:
        # The ledger's summary digests the goods and containers: read for these declarations only.
        prefetch_related_objects([d for d, _a, _n in changed], "items", "containers")
        _update_in_bulk(Declaration, [d for d, _a, _n in changed], ["status", "lane", "queue_rank", "updated_at"])
        Declaration.history.bulk_history_create([d for d, _a, _n in changed], update=True)
        for declaration, action, _note in changed:
            ledger_append(
                kind=f"declaration.{action}",
                subject=declaration.ledger_subject,
                payload=declaration_public_summary(declaration),
                public_fields=PUBLIC_SUMMARY_FIELDS,
            )
        _notify_traders_bulk(changed)
    for declaration, run, port in one_by_one:
        _apply_lane(declaration, run.lane, run.lane_reason, auto_release=port.auto_release_green)

    alerts = []
    for declaration, run, findings, _port in results.values():
        seen = previous.get(run.pk, set())
        fresh_alerts = [f for f in findings if f.code in ALERTING_CODES and (f.code, f.key) not in seen]
        if fresh_alerts:
            alerts.append((declaration, fresh_alerts))
        # As one by one: a released declaration whose containers have all departed closes.
        if declaration.status == Status.RELEASED and goods_have_left(bundles[declaration.pk]):
            declaration_system_transition(
                declaration_id=declaration.pk, action=Action.DEPART, note=_("Every container departed after release")
            )
    _alert_officers_bulk(alerts)
    return {declaration.pk: run for declaration, run, _findings, _port in results.values()}


def _update_in_bulk(model, objects: list, fields: list[str]) -> None:
    """Save ``fields`` of many rows in one statement: on PostgreSQL ``UPDATE … FROM (VALUES …)``, which
    costs a fraction of ``bulk_update``'s ``CASE WHEN`` per row and field; elsewhere ``bulk_update``."""
    if not objects:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_update(objects, fields)
        return
    columns = [model._meta.get_field(name) for name in fields]
    assignments = ", ".join(f'"{column.column}" = v."{column.column}"' for column in columns)
    names = ", ".join(f'"{column.column}"' for column in columns)
    table = model._meta.db_table
    rows = [
        (obj.pk, *(column.get_db_prep_save(getattr(obj, column.attname), connection) for column in columns))
        for obj in objects
    ]
    template = "(%s, " + ", ".join(f"%s::{column.db_type(connection)}" for column in columns) + ")"
    with connection.cursor() as cursor:
        values = b",".join(cursor.cursor.mogrify(template, row) for row in rows).decode()
        # Through Django's cursor (one statement, counted like the others); every value is quoted by mogrify.
        cursor.execute(
            f'UPDATE "{table}" AS t SET {assignments} FROM (VALUES {values}) AS v(id, {names}) '  # noqa: S608
            "WHERE t.id = v.id"
        )


def _notify_traders_bulk(changed: list[tuple[Declaration, str, str]]) -> None:
    """The notifications ``_record`` sends for system transitions (to every active user of the
    declarant), for many declarations: one query for the people, one insert, e-mails on commit."""
    people: dict[int, list[User]] = {}
    for user in User.objects.filter(organisation_id__in={d.declarant_id for d, _a, _n in changed}, is_active=True):
        people.setdefault(user.organisation_id, []).append(user)
    labels = dict(Status.choices)
    notifications_send(
        (
            people.get(declaration.declarant_id, []),
            _("%(reference)s: %(status)s") % {"reference": declaration, "status": labels[declaration.status]},
            note,
            reverse("declarations:detail", args=[declaration.pk]),
        )
        for declaration, _action, note in changed
    )
