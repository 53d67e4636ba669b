"""Risk score and lane (ASYCUDA selectivity): warnings and risk rules → green, yellow or red.

Pure: the caller loads the active risk rules and the port's settings into the plain facts
below and derives ``selection_draw`` from the declaration id and version, so re-running a
verification gives the same lane.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from ..choices import SEVERITY_SCORES, Lane, WarningCode
from .evidence import EvidenceBundle, Finding
from .rules import normalise_port

# How severe each lane is, for choosing between forced lanes and for "never lowers the lane".
LANE_ORDER = {Lane.GREEN: 0, Lane.YELLOW: 1, Lane.RED: 2}


@dataclass(frozen=True)
class RiskRuleFacts:
    """A risk rule in force: every condition that is set must hold for the rule to match.

    Unset conditions are empty strings or None. A rule with no condition matches every
    declaration (a port-wide or global surcharge).
    """

    id: int
    name: str
    port: str = ""  # UN/LOCODE of the port of clearance
    hs_prefix: str = ""  # HS chapter, heading or code an item's code starts with
    origin_country: str = ""  # ISO 3166 alpha-2 of an item's origin
    trader_id: int | None = None  # the declarant organisation
    route_port: str = ""  # UN/LOCODE that must be on the route
    min_value: Decimal | None = None  # total value at least this
    score: int = 0
    forced_lane: str = ""
    active: bool = True


@dataclass(frozen=True)
class PortSettingsFacts:
    random_selection_percent: Decimal = Decimal("5")
    yellow_score: int = 15
    red_score: int = 40


@dataclass(frozen=True)
class Assessment:
    score: int
    lane: str
    reasons: list[str] = field(default_factory=list)
    forced_by: str = ""  # name of the rule whose forced lane was applied
    randomly_selected: bool = False
    matched_rule_ids: tuple[int, ...] = ()


def _hs_digits(code: str) -> str:
    return "".join(char for char in code if char.isalnum())


def rule_matches(rule: RiskRuleFacts, bundle: EvidenceBundle) -> bool:
    """Whether every condition ``rule`` sets holds for the declaration (inactive rules never match)."""
    if not rule.active:
        return False
    declaration = bundle.declaration
    if rule.port and normalise_port(rule.port) != normalise_port(declaration.origin_port):
        return False
    if rule.hs_prefix and not any(
        _hs_digits(item.hs_code).startswith(_hs_digits(rule.hs_prefix)) for item in declaration.items
    ):
        return False
    if rule.origin_country and not any(
        item.origin_country.strip().upper() == rule.origin_country.strip().upper() for item in declaration.items
    ):
        return False
    if rule.trader_id is not None and declaration.declarant_id != rule.trader_id:
        return False
    if rule.route_port and normalise_port(rule.route_port) not in {
        normalise_port(port) for port in declaration.route_ports
    }:
        return False
    return not (rule.min_value is not None and declaration.total_value < rule.min_value)


def _lane_name(lane: str) -> str:
    """The lane's short name for a sentence: "Red", "Yellow", "Green"."""
    return {Lane.GREEN: _("Green"), Lane.YELLOW: _("Yellow"), Lane.RED: _("Red")}[Lane(lane)]


def _warning_label(finding: Finding) -> str:
    label = str(WarningCode(finding.code).label) if finding.code in WarningCode.values else finding.code
    return f"{label} ({finding.key})" if finding.key else label


def risk_assessment(
    bundle: EvidenceBundle,
    findings: list[Finding],
    rules: list[RiskRuleFacts],
    settings: PortSettingsFacts,
    *,
    selection_draw: Decimal,
) -> Assessment:
    """Score a declaration and choose its lane.

    Score: the SEVERITY_SCORES of the findings plus the scores of the matching active rules.
    Lane: a forced lane of a matching rule wins, the most severe one if several (red over
    yellow over green), and is never randomly re-selected — it is a supervisor's explicit
    decision. Otherwise red when the score reaches ``red_score``, yellow when it reaches
    ``yellow_score``, else green; and a green declaration is sent to a documentary check
    (yellow) when ``selection_draw`` (in [0, 100)) is strictly below
    ``random_selection_percent``.

    Reasons: first the sentence that decided the lane, then each matching rule, then each
    warning with the points it added (the warnings' own messages are stored with them).
    """
    reasons: list[str] = []
    warning_reasons: list[str] = []
    score = 0
    for finding in findings:
        points = SEVERITY_SCORES.get(finding.severity, 0)
        score += points
        warning_reasons.append(
            _("Warning: %(warning)s, %(severity)s (+%(points)d).")
            % {
                "warning": _warning_label(finding),
                "severity": finding.severity,
                "points": points,
            }
        )

    matched = [rule for rule in rules if rule_matches(rule, bundle)]
    forced: RiskRuleFacts | None = None
    for rule in matched:
        score += rule.score
        if rule.forced_lane:
            reasons.append(
                _("Risk rule “%(name)s” matched (+%(score)d, forces %(lane)s).")
                % {
                    "name": rule.name,
                    "score": rule.score,
                    "lane": _lane_name(rule.forced_lane).lower(),
                }
            )
            if forced is None or LANE_ORDER[rule.forced_lane] > LANE_ORDER[forced.forced_lane]:
                forced = rule
        else:
            reasons.append(_("Risk rule “%(name)s” matched (+%(score)d).") % {"name": rule.name, "score": rule.score})

    randomly_selected = False
    if forced is not None:
        lane = Lane(forced.forced_lane)
        decision = _("%(lane)s lane forced by risk rule “%(name)s” (score %(score)d).") % {
            "lane": _lane_name(lane),
            "name": forced.name,
            "score": score,
        }
    elif score >= settings.red_score:
        lane = Lane.RED
        decision = _("Score %(score)d reaches the red threshold %(threshold)d.") % {
            "score": score,
            "threshold": settings.red_score,
        }
    elif score >= settings.yellow_score:
        lane = Lane.YELLOW
        decision = _("Score %(score)d reaches the yellow threshold %(threshold)d.") % {
            "score": score,
            "threshold": settings.yellow_score,
        }
    elif selection_draw < settings.random_selection_percent:
        lane = Lane.YELLOW
        randomly_selected = True
        decision = _(
            "Score %(score)d is below the yellow threshold %(threshold)d, but the declaration was randomly "
            "selected for a documentary check (%(percent)s %% of clean declarations)."
        ) % {
            "score": score,
            "threshold": settings.yellow_score,
            "percent": f"{Decimal(settings.random_selection_percent).normalize():f}",
        }
    else:
        lane = Lane.GREEN
        decision = _("Score %(score)d is below the yellow threshold %(threshold)d.") % {
            "score": score,
            "threshold": settings.yellow_score,
        }

    return Assessment(
        score=score,
        lane=lane,
        reasons=[decision, *reasons, *warning_reasons],
        forced_by=forced.name if forced else "",
        randomly_selected=randomly_selected,
        matched_rule_ids=tuple(rule.id for rule in matched),
    )
