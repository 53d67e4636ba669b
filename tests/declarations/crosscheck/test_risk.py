"""Risk score and lane: warnings and risk rules → green, yellow or red, with random selection."""

from decimal import Decimal

import pytest

from declarations.choices import Lane, Severity, WarningCode
from declarations.crosscheck.evidence import Finding
from declarations.crosscheck.risk import PortSettingsFacts, RiskRuleFacts, risk_assessment, rule_matches

from .builders import FOREIGN, ORIGIN, TRANSFER, bundle, declaration, item

SETTINGS = PortSettingsFacts(random_selection_percent=Decimal("5"), yellow_score=15, red_score=40)
NOT_DRAWN = Decimal("99.9")  # a draw that never selects at 5 %


def finding(severity: str, code: str = WarningCode.SEAL_MISMATCH, key: str = "") -> Finding:
    return Finding(code=code, severity=severity, message=f"{code} {key}".strip(), key=key)


def assess(findings=(), rules=(), settings=SETTINGS, draw=NOT_DRAWN, evidence=None):
    return risk_assessment(evidence or bundle(), list(findings), list(rules), settings, selection_draw=draw)


# Score ------------------------------------------------------------------------------------


def test_a_clean_declaration_goes_green_with_score_zero():
    assessment = assess()
    assert (assessment.score, assessment.lane, assessment.forced_by, assessment.randomly_selected) == (
        0,
        Lane.GREEN,
        "",
        False,
    )
    assert assessment.reasons == ["Score 0 is below the yellow threshold 15."]


def test_score_adds_the_severity_of_every_finding():
    findings = [finding(Severity.INFO), finding(Severity.LOW), finding(Severity.MEDIUM), finding(Severity.HIGH)]
    assessment = assess(findings)
    assert assessment.score == 0 + 10 + 20 + 40
    assert assessment.lane == Lane.RED
    assert assessment.reasons[0] == "Score 70 reaches the red threshold 40."
    assert "Warning: Seal seen differs from seal declared, high (+40)." in assessment.reasons


def test_score_adds_matching_rules_and_names_them():
    rules = [
        RiskRuleFacts(id=1, name="Shunde surcharge", port=ORIGIN, score=7),
        RiskRuleFacts(id=2, name="Other port", port="CNNSA", score=50),
    ]
    assessment = assess([finding(Severity.LOW)], rules)
    assert assessment.score == 17
    assert assessment.lane == Lane.YELLOW
    assert assessment.matched_rule_ids == (1,)
    assert "Risk rule “Shunde surcharge” matched (+7)." in assessment.reasons
    assert not any("Other port" in reason for reason in assessment.reasons)


# Rule conditions --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "matching", "not_matching"),
    [
        ("port", ORIGIN, TRANSFER),  # the port of clearance only
        ("hs_prefix", "85", "84"),
        ("hs_prefix", "8516", "8517"),
        ("hs_prefix", "8516.50", "8516.60"),
        ("origin_country", "cn", "VN"),
        ("trader_id", 7, 8),
        ("route_port", FOREIGN, "USLAX"),
        ("route_port", TRANSFER, "HKHKG"),
        ("min_value", Decimal("50000"), Decimal("50000.01")),  # total value 50,000
    ],
)
def test_each_rule_condition(condition, matching, not_matching):
    evidence = bundle()
    assert rule_matches(RiskRuleFacts(id=1, name="r", score=1, **{condition: matching}), evidence)
    assert not rule_matches(RiskRuleFacts(id=1, name="r", score=1, **{condition: not_matching}), evidence)


def test_hs_prefix_and_origin_match_any_item():
    items = (
        item(line=1, hs_code="8516500000", origin_country="CN"),
        item(line=2, hs_code="9301900000", origin_country="VN"),
    )
    evidence = bundle(declaration(items=items))
    assert rule_matches(RiskRuleFacts(id=1, name="arms", hs_prefix="93", score=1), evidence)
    assert rule_matches(RiskRuleFacts(id=1, name="vietnam", origin_country="VN", score=1), evidence)


def test_every_set_condition_must_hold():
    both = RiskRuleFacts(id=1, name="r", port=ORIGIN, trader_id=7, score=1)
    one_wrong = RiskRuleFacts(id=1, name="r", port=ORIGIN, trader_id=8, score=1)
    assert rule_matches(both, bundle())
    assert not rule_matches(one_wrong, bundle())


def test_a_rule_without_conditions_matches_every_declaration_and_an_inactive_rule_none():
    assert rule_matches(RiskRuleFacts(id=1, name="all", score=1), bundle())
    assert not rule_matches(RiskRuleFacts(id=1, name="off", score=1, active=False), bundle())
    assert assess(rules=[RiskRuleFacts(id=1, name="off", score=99, active=False)]).score == 0


def test_a_declaration_without_items_matches_no_item_condition():
    evidence = bundle(declaration(items=()))
    assert not rule_matches(RiskRuleFacts(id=1, name="r", hs_prefix="85", score=1), evidence)
    assert not rule_matches(RiskRuleFacts(id=1, name="r", origin_country="CN", score=1), evidence)


def test_a_standard_declaration_has_no_transfer_port_on_its_route():
    evidence = bundle(declaration(procedure="standard", transfer_port=None))
    assert not rule_matches(RiskRuleFacts(id=1, name="r", route_port=TRANSFER, score=1), evidence)


# Forced lanes -----------------------------------------------------------------------------


def test_the_most_severe_forced_lane_wins():
    rules = [
        RiskRuleFacts(id=1, name="Yellow for chapter 85", hs_prefix="85", forced_lane=Lane.YELLOW),
        RiskRuleFacts(id=2, name="Red for trader 7", trader_id=7, forced_lane=Lane.RED),
        RiskRuleFacts(id=3, name="Green everywhere", forced_lane=Lane.GREEN),
    ]
    assessment = assess(rules=rules)
    assert (assessment.lane, assessment.forced_by, assessment.score) == (Lane.RED, "Red for trader 7", 0)
    assert assessment.reasons[0] == "Red lane forced by risk rule “Red for trader 7” (score 0)."
    assert "Risk rule “Yellow for chapter 85” matched (+0, forces yellow)." in assessment.reasons


def test_a_forced_green_lane_wins_over_the_score_and_is_not_randomly_selected():
    rules = [RiskRuleFacts(id=1, name="Trusted trader", trader_id=7, forced_lane=Lane.GREEN)]
    assessment = assess([finding(Severity.HIGH)], rules, draw=Decimal("0"))
    assert (assessment.lane, assessment.forced_by, assessment.randomly_selected) == (
        Lane.GREEN,
        "Trusted trader",
        False,
    )
    assert assessment.score == 40


def test_a_forced_lane_of_a_rule_that_does_not_match_is_ignored():
    rules = [RiskRuleFacts(id=1, name="Red for trader 8", trader_id=8, forced_lane=Lane.RED)]
    assessment = assess(rules=rules)
    assert (assessment.lane, assessment.forced_by) == (Lane.GREEN, "")


def test_a_forced_lane_rule_also_adds_its_score():
    rules = [RiskRuleFacts(id=1, name="Yellow and 30", forced_lane=Lane.YELLOW, score=30)]
    assessment = assess(rules=rules)
    assert (assessment.lane, assessment.score) == (Lane.YELLOW, 30)


# Thresholds -------------------------------------------------------------------------------


@pytest.mark.parametrize(("score", "lane"), [(14, Lane.GREEN), (15, Lane.YELLOW), (39, Lane.YELLOW), (40, Lane.RED)])
def test_lane_thresholds_at_the_boundary(score, lane):
    assessment = assess(rules=[RiskRuleFacts(id=1, name="score", score=score)])
    assert (assessment.score, assessment.lane) == (score, lane)


def test_threshold_reasons_say_which_threshold_was_reached():
    assert assess(rules=[RiskRuleFacts(id=1, name="s", score=40)]).reasons[0] == (
        "Score 40 reaches the red threshold 40."
    )
    assert assess(rules=[RiskRuleFacts(id=1, name="s", score=15)]).reasons[0] == (
        "Score 15 reaches the yellow threshold 15."
    )


# Random selection -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("draw", "selected"),
    [
        (Decimal("0"), True),
        (Decimal("4.99"), True),
        (Decimal("5"), False),
        (Decimal("5.01"), False),
    ],
)
def test_random_selection_at_the_boundary(draw, selected):
    assessment = assess(draw=draw)
    assert assessment.randomly_selected is selected
    assert assessment.lane == (Lane.YELLOW if selected else Lane.GREEN)
    if selected:
        assert "randomly selected for a documentary check (5 % of clean declarations)" in assessment.reasons[0]


def test_no_random_selection_at_zero_percent():
    settings = PortSettingsFacts(random_selection_percent=Decimal("0"), yellow_score=15, red_score=40)
    assert assess(settings=settings, draw=Decimal("0")).lane == Lane.GREEN


def test_only_green_declarations_are_randomly_selected():
    assessment = assess([finding(Severity.MEDIUM)], draw=Decimal("0"))
    assert (assessment.lane, assessment.randomly_selected) == (Lane.YELLOW, False)
    red = assess([finding(Severity.HIGH)], draw=Decimal("0"))
    assert (red.lane, red.randomly_selected) == (Lane.RED, False)


def test_warnings_are_named_with_their_subject_after_the_decision():
    assessment = assess([finding(Severity.HIGH, WarningCode.SEAL_BROKEN, key="CSQU3054383")])
    assert assessment.reasons == [
        "Score 40 reaches the red threshold 40.",
        "Warning: Seal opened between origin and transfer port (CSQU3054383), high (+40).",
    ]
