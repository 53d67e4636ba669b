"""The main pages of every role pass axe-core in a real browser: no serious or critical violation.

axe-core is vendored (``static/vendor/axe.min.js``; no page of the portal loads it). The test injects
it into each page; the portal's Content-Security-Policy allows no inline script, so the checking
browser context bypasses CSP — the pages themselves are rendered and styled exactly as served.
The demo data (every demo step of ``seed_demo``) gives each page something to show.
"""

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from declarations.choices import Status
from declarations.models import Declaration
from declarations.verification import declaration_verification_path
from finance.models import FinancingRequest
from inspections.certificates.verification import certificate_verification_path
from inspections.models import Booking, Certificate
from portal.demo import DEMO_PASSWORD, DEMO_STEPS, demo_seed
from portal.models import User
from tests.inspections.certificate_support import tasks_run_in_process

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[2] / "static" / "vendor" / "axe.min.js"
BLOCKING = ("serious", "critical")
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map(n => n.target.join(" ")).slice(0, 5), count: v.nodes.length,
  }));
}"""


def demo_seeded(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path
    with tasks_run_in_process():  # certificate PDFs render in this thread, not by a stray worker
        demo_seed()
        for step in DEMO_STEPS:
            import_string(step)()


def pages_by_role() -> dict[str, list[str]]:
    """The main pages of every role, for objects of the demo."""
    trader = User.objects.get(username="trader")
    own = Declaration.objects.filter(declarant=trader.organisation)
    draft = own.filter(status=Status.DRAFT).order_by("id").first()
    flagged = (
        own.filter(status=Status.UNDER_REVIEW, origin_port__locode="CNSUD", warnings__isnull=False)
        .order_by("id")
        .first()
    ) or own.filter(status=Status.UNDER_REVIEW).order_by("id").first()
    to_inspect = own.filter(status=Status.INSPECTION_REQUIRED).order_by("id").first()
    booking = Booking.objects.filter(slot__site__port__locode="CNSUD").order_by("-id").first()
    certificate = Certificate.objects.filter(status="valid").order_by("id").first()
    trader_request = FinancingRequest.objects.filter(trader=trader.organisation).order_by("id").first()
    bank = User.objects.get(username="bank.gbtb").organisation
    bank_request = FinancingRequest.objects.filter(bank=bank).order_by("id").first()
    for name, found in {
        "draft": draft,
        "flagged": flagged,
        "to_inspect": to_inspect,
        "booking": booking,
        "certificate": certificate,
        "trader_request": trader_request,
        "bank_request": bank_request,
    }.items():
        assert found is not None, f"the demo has no {name} to check"
    booking_day = timezone.localtime(booking.slot.starts_at, ZoneInfo("Asia/Shanghai")).date()
    return {
        "": [
            reverse("login"),
            reverse("about-verification"),
            reverse("ledger-verify"),
            certificate_verification_path(certificate.number),
            declaration_verification_path(flagged),
        ],
        "trader": [
            reverse("home"),
            reverse("declarations:list"),
            reverse("declarations:create"),
            reverse("declarations:edit", args=[draft.pk]),
            reverse("declarations:review", args=[draft.pk]),
            reverse("declarations:detail", args=[flagged.pk]),
            reverse("inspections:declaration", args=[to_inspect.pk]),
            reverse("certificates:detail", args=[certificate.pk]),
            reverse("notifications"),
            reverse("finance:request_list"),
            reverse("finance:request_create"),
            reverse("finance:request_detail", args=[trader_request.pk]),
        ],
        "officer.shunde": [
            reverse("home"),
            reverse("declarations:officer-queue"),
            reverse("declarations:detail", args=[flagged.pk]),
            reverse("inspections:home"),
            f"{reverse('inspections:site-day', args=[booking.slot.site_id])}?date={booking_day}",
            reverse("certificates:list"),
            reverse("certificates:detail", args=[certificate.pk]),
            reverse("notifications"),
        ],
        "supervisor": [
            reverse("home"),
            reverse("declarations:dashboard"),
            reverse("declarations:rules"),
            reverse("inspections:sites"),
        ],
        "bank.gbtb": [
            reverse("home"),
            reverse("finance:bank_queue"),
            reverse("finance:bank_request_detail", args=[bank_request.pk]),
        ],
        "carrier": [reverse("home"), reverse("logistics:uploads")],
    }


def violations_on(page, path: str) -> list[str]:
    response = page.goto(path)
    assert response is not None and response.ok, f"{path}: HTTP {response.status if response else 'no response'}"
    page.wait_for_load_state("networkidle")
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(RUN_AXE)
    return [
        f"{path}: {v['id']} ({v['impact']}, {v['count']} element(s)) — {v['help']}; e.g. {', '.join(v['targets'])}"
        for v in found
        if v["impact"] in BLOCKING
    ]


def test_main_pages_of_every_role_have_no_serious_or_critical_accessibility_violation(
    browser, live_server, settings, tmp_path
):
    demo_seeded(settings, tmp_path)
    pages = pages_by_role()
    problems = []
    for username, paths in pages.items():
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": 1280, "height": 900}, bypass_csp=True
        )  # lets the test inject axe; the pages are unchanged
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            if username:
                page.goto(reverse("login"))
                page.get_by_label("Username").fill(username)
                page.get_by_label("Password").fill(DEMO_PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                page.wait_for_url(lambda url: reverse("login") not in url)
            for path in paths:
                problems += [f"[{username or 'anonymous'}] {line}" for line in violations_on(page, path)]
        finally:
            context.close()
    assert not problems, "axe-core found serious or critical violations:\n" + "\n".join(problems)


def test_axe_reports_a_serious_violation_when_there_is_one(browser, live_server):
    """The check can fail: a page with an unlabelled field and an empty button is reported."""
    context = browser.new_context(base_url=live_server.url, bypass_csp=True)
    page = context.new_page()
    page.goto(reverse("login"))
    page.evaluate("""() => {
      const main = document.querySelector("main") || document.body;
      main.insertAdjacentHTML("beforeend", '<input type="text" id="nolabel"><button id="noname"></button>');
    }""")
    page.add_script_tag(path=str(AXE))
    ids = {v["id"] for v in page.evaluate(RUN_AXE) if v["impact"] in BLOCKING}
    context.close()
    assert {"label", "button-name"} <= ids
