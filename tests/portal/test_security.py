"""Web security at the edges: CSP and the other headers, sign-in throttling, session expiry, CSRF, escaping."""

import re
from html.parser import HTMLParser

import pytest
from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.test import Client
from django.urls import reverse

from declarations.services import declaration_create_draft, declaration_submit
from tests import factories

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert('consignee')</script>"
PASSWORD = "correct-horse-battery"  # tests/factories.py


def csp(response) -> dict[str, list[str]]:
    """The response's Content-Security-Policy as {directive: [sources]}."""
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.wsgi_request.path}"
    return {name: sources for name, *sources in (part.split() for part in header.split(";") if part.strip())}


class PageParser(HTMLParser):
    """The forms (method, whether they carry a CSRF token), scripts and inline styles of a page."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self.scripts: list[dict] = []
        self.inline_styles: list[str] = []
        self._script_open = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "style" in attributes:
            self.inline_styles.append(f"<{tag} style={attributes['style']!r}>")
        if tag == "style":
            self.inline_styles.append("<style>")
        if tag == "form":
            self.forms.append(
                {
                    "method": (attributes.get("method") or "get").lower(),
                    "action": attributes.get("action", ""),
                    "csrf": False,
                }
            )
        if tag == "input" and attributes.get("name") == "csrfmiddlewaretoken" and self.forms:
            self.forms[-1]["csrf"] = bool(attributes.get("value"))
        if tag == "script":
            self.scripts.append({"src": attributes.get("src"), "body": ""})
            self._script_open = True

    def handle_endtag(self, tag):
        if tag == "script":
            self._script_open = False

    def handle_data(self, data):
        if self._script_open:
            self.scripts[-1]["body"] += data


def parse(response) -> PageParser:
    parser = PageParser()
    parser.feed(response.content.decode())
    return parser


def submitted_declaration(trader, **header):
    draft = declaration_create_draft(actor=trader, **factories.declaration_input(**header))
    return declaration_submit(actor=trader, declaration_id=draft.pk)


# --- Content-Security-Policy and the other headers -------------------------------------------------------------


def test_pages_carry_a_strict_content_security_policy_and_the_other_security_headers(client):
    trader = factories.trader()
    declaration = submitted_declaration(trader)
    client.force_login(trader)
    for url in [
        reverse("login"),
        reverse("home"),
        reverse("declarations:list"),
        reverse("declarations:detail", args=[declaration.pk]),
        reverse("declarations:receipt", args=[declaration.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        policy = csp(response)
        assert policy["script-src"] == ["'self'"], url
        assert policy["style-src"] == ["'self'"], url
        assert policy["object-src"] == ["'none'"]
        assert policy["base-uri"] == ["'self'"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert policy["form-action"] == ["'self'"]
        assert policy["img-src"] == ["'self'", "data:"]
        assert policy["connect-src"] == ["'self'"]
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
        assert "camera=()" in response.headers["Permissions-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    "maker",
    [
        factories.trader,
        factories.customs_officer,
        factories.customs_supervisor,
        factories.bank_officer,
        factories.logistics_system,
    ],
)
def test_pages_have_no_inline_script_or_style_the_policy_would_block(client, maker):
    user = maker()
    client.force_login(user)
    for url in [reverse("home"), reverse("notifications"), reverse("api-token")]:
        page = parse(client.get(url))
        assert page.inline_styles == [], url
        assert [script for script in page.scripts if not script["src"] or script["body"].strip()] == [], url
        assert all(
            script["src"].startswith(settings.STATIC_URL) or script["src"].startswith("/static/")
            for script in page.scripts
        ), url


def test_api_docs_load_every_script_from_the_portal_itself(client):
    client.force_login(factories.trader())
    response = client.get(reverse("api-docs"))
    assert response.status_code == 200
    assert csp(response)["script-src"] == ["'self'"]
    page = parse(response)
    assert page.inline_styles == []
    sources = [script["src"] for script in page.scripts]
    assert all(script["body"].strip() == "" for script in page.scripts)
    assert all(source.startswith("/") and not source.startswith("//") for source in sources), sources
    # Swagger UI's bundle and the init script (served by the same view with ?script) answer as JavaScript.
    for source in sources:
        script = client.get(source)
        assert script.status_code == 200, source
        assert "javascript" in script.headers["Content-Type"], source
    init = client.get(next(source for source in sources if "script" in source.split("?")[-1]))
    assert b"SwaggerUIBundle" in b"".join(init.streaming_content if init.streaming else [init.content])


def test_redoc_alone_may_use_inline_styles_never_inline_scripts(client):
    client.force_login(factories.trader())
    response = client.get(reverse("api-redoc"))
    assert response.status_code == 200
    policy = csp(response)
    assert policy["script-src"] == ["'self'"]
    assert "'unsafe-inline'" in policy["style-src"]
    assert "fonts.googleapis.com" not in response.content.decode()  # nothing from a CDN
    assert all(script["src"] and not script["body"].strip() for script in parse(response).scripts)


# --- Sign-in throttling ------------------------------------------------------------------------------------------


def sign_in(client, username, password, address="10.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def test_five_failed_sign_ins_lock_the_account_from_that_address_with_a_clear_message(client):
    user = factories.trader()
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        response = sign_in(client, user.username, "wrong")
        assert response.status_code == 200
        assert "Sign-in locked" not in response.content.decode()
    locked = sign_in(client, user.username, "wrong")
    assert locked.status_code == 429
    html = locked.content.decode()
    assert "Sign-in locked" in html and "Try again in 15 minutes" in html
    assert 'data-testid="login-locked-out"' in html
    # Even the right password is refused now, from that address …
    right_password = sign_in(client, user.username, PASSWORD)
    assert right_password.status_code == 429
    assert "_auth_user_id" not in client.session
    # … but the same user from another address, and another user from this one, still sign in.
    assert sign_in(Client(), user.username, PASSWORD, address="10.0.0.2").status_code == 302
    assert sign_in(Client(), factories.trader().username, PASSWORD).status_code == 302


def test_a_lockout_ends_when_reset_and_a_success_clears_earlier_failures(client):
    user = factories.trader()
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, user.username, "wrong")
    assert sign_in(client, user.username, PASSWORD).status_code == 429
    axes_reset(username=user.username)
    assert sign_in(client, user.username, PASSWORD).status_code == 302
    # A success reset the count: four more failures do not lock.
    other = Client()
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(other, user.username, "wrong")
    assert sign_in(other, user.username, PASSWORD).status_code == 302


def test_a_locked_out_password_does_not_lock_the_api_token(client):
    """Throttling guards passwords; a system's token keeps working (it was never guessed through the form)."""
    from rest_framework.authtoken.models import Token

    system = factories.logistics_system()
    token = Token.objects.create(user=system)
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, system.username, "wrong")
    assert AccessAttempt.objects.filter(username=system.username).exists()
    response = Client().get("/api/v1/declarations/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code != 429 and response.status_code < 500


def test_the_lockout_lasts_fifteen_minutes_per_user_and_address():
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"


# --- Session expiry ----------------------------------------------------------------------------------------------


def test_a_session_ends_with_the_browser_and_after_a_shift_at_most(client):
    user = factories.trader()
    response = sign_in(client, user.username, PASSWORD)
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == "" and cookie["expires"] == ""  # a browser-session cookie
    assert cookie["httponly"]
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    assert client.session.get_expire_at_browser_close()
    assert client.session.get_expiry_age() == 8 * 3600  # the server forgets it after a shift in any case


# --- CSRF on every form ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "maker",
    [
        factories.trader,
        factories.customs_officer,
        factories.customs_supervisor,
        factories.bank_officer,
        factories.logistics_system,
    ],
)
def test_every_post_form_on_the_main_screens_carries_a_csrf_token(client, maker):
    trader = factories.trader()
    declaration = submitted_declaration(trader)
    draft = declaration_create_draft(actor=trader, **factories.declaration_input())
    user = maker()
    if maker is factories.trader:
        user = trader
    client.force_login(user)
    urls = [
        reverse("home"),
        reverse("notifications"),
        reverse("api-token"),
        reverse("password_change"),
        reverse("declarations:list"),
        reverse("declarations:create"),
        reverse("declarations:officer-queue"),
        reverse("declarations:detail", args=[declaration.pk]),
        reverse("declarations:edit", args=[draft.pk]),
        reverse("declarations:review", args=[draft.pk]),
        reverse("inspections:home"),
    ]
    post_forms = 0
    for url in urls:
        response = client.get(url)
        if response.status_code != 200:
            continue  # not this role's screen
        for form in parse(response).forms:
            if form["method"] == "post":
                post_forms += 1
                assert form["csrf"], f"{url}: form to {form['action'] or url} has no CSRF token"
    assert post_forms >= 2  # at least the language switcher and sign-out on every page


def test_a_post_without_the_csrf_token_is_refused():
    client = Client(enforce_csrf_checks=True)
    trader = factories.trader()
    client.force_login(trader)
    assert client.post(reverse("api-token")).status_code == 403


# --- Nothing a user typed is rendered as HTML --------------------------------------------------------------------


def test_a_script_in_the_consignee_name_is_shown_as_text_on_every_page():
    trader = factories.trader()
    declaration = submitted_declaration(trader, consignee_name=SCRIPT, consignor_name=SCRIPT)
    draft = declaration_create_draft(actor=trader, **factories.declaration_input(consignee_name=SCRIPT))
    client = Client()
    client.force_login(trader)
    officer = Client()
    officer.force_login(factories.customs_officer())
    pages = {
        "detail": client.get(reverse("declarations:detail", args=[declaration.pk])),
        "review": client.get(reverse("declarations:review", args=[draft.pk])),
        "receipt": client.get(reverse("declarations:receipt", args=[declaration.pk])),
        "edit": client.get(reverse("declarations:edit", args=[draft.pk])),
        "list (search echoed)": client.get(reverse("declarations:list"), {"search": SCRIPT[:40]}),
        "officer review": officer.get(reverse("declarations:detail", args=[declaration.pk])),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
        html = response.content.decode()
        assert "<script>alert(" not in html, f"{name}: the consignee name is rendered as HTML"
        assert "&lt;script&gt;alert(" in html, f"{name}: the consignee name is not shown at all"


def test_no_template_marks_user_data_safe():
    """`|safe` and `{% autoescape off %}` appear only where the text is the portal's own (password reset e-mail)."""
    from pathlib import Path

    root = Path(settings.BASE_DIR) / "templates"
    offenders = []
    for template in root.rglob("*.html"):
        text = template.read_text()
        if re.search(r"\|\s*safe\b", text):
            offenders.append(f"{template.relative_to(root)}: |safe")
        if "autoescape off" in text and template.name != "password_reset_email.html":
            offenders.append(f"{template.relative_to(root)}: autoescape off")
    assert offenders == []


# --- In a real browser: nothing the policy refuses -----------------------------------------------------------------


def csp_violations(page) -> list[str]:
    """Collects Chromium's "Refused to … Content Security Policy" console messages for this page."""
    refused: list[str] = []
    page.on(
        "console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None
    )
    return refused


def browser_sign_in(page, user):
    page.goto(reverse("login"))
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_swagger_ui_renders_the_operations_under_the_policy(page):
    refused = csp_violations(page)
    browser_sign_in(page, factories.trader())
    page.goto(reverse("api-docs"))
    page.locator(".opblock-summary-path", has_text="/api/v1/declarations/").first.wait_for()
    assert refused == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_redoc_renders_under_its_relaxed_style_policy(page):
    refused = csp_violations(page)
    browser_sign_in(page, factories.trader())
    page.goto(reverse("api-redoc"))
    page.get_by_text("Harbour Single Window API").first.wait_for()
    page.locator("[data-section-id^='tag/']").first.wait_for()
    # Only ReDoc's "Powered by Redocly" logo, which it fetches from its CDN, is refused — as it should be.
    assert [message for message in refused if "https://cdn.redoc.ly/" not in message] == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_portal_pages_and_htmx_run_under_the_policy(page):
    refused = csp_violations(page)
    trader = factories.trader()
    declaration = submitted_declaration(trader)
    browser_sign_in(page, trader)
    for url in [
        reverse("home"),
        reverse("declarations:list"),
        reverse("declarations:detail", args=[declaration.pk]),
        reverse("declarations:receipt", args=[declaration.pk]),
    ]:
        page.goto(url)
        page.wait_for_load_state("networkidle")
    # htmx (a static file) is running: it has processed the page's polling element.
    assert page.evaluate("typeof htmx !== 'undefined' && htmx.config.includeIndicatorStyles === false")
    assert refused == []
