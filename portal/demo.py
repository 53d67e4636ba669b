"""Demo organisations and people for `make run` and the browser tests.

``demo_seed`` is idempotent: running it again finds what exists, resets the demo
passwords and creates only what is missing. Later apps add their own demo records
through :data:`DEMO_STEPS` (run by ``manage.py seed_demo``).
"""

from dataclasses import dataclass

from django.db import transaction

from .choices import OrganisationKind, Role
from .models import Organisation, Port, User
from .services import organisation_create, user_create
from .validators import uscc_check_character

DEMO_PASSWORD = "harbour-demo-2026"  # noqa: S105 — printed for the demo on purpose

# Each app's demo records, created after the organisations and people, in this order.
DEMO_STEPS = [
    "declarations.demo.demo_declarations_seed",
    "declarations.demo.demo_logistics_seed",
    "inspections.demo.demo_inspections_seed",
    "inspections.demo_certificates.demo_certificates_seed",
    "finance.demo.demo_finance_seed",
    "portal.demo.demo_checkpoint",  # last: signs everything the steps above recorded
]


def demo_checkpoint() -> int:
    """Sign the ledger's current head, so the demo's records verify at once (beat does this in production)."""
    from .ledger.services import checkpoint_create

    _checkpoint, created = checkpoint_create(only_if_grown=True)
    return int(created)


@dataclass(frozen=True)
class DemoOrganisation:
    key: str
    kind: str
    name_en: str
    name_zh: str
    uscc_base: str  # first 17 characters; the check character is computed


@dataclass(frozen=True)
class DemoUser:
    username: str
    organisation: str
    role: str
    first_name: str
    last_name: str
    ports: tuple[str, ...] = ()


ORGANISATIONS = [
    DemoOrganisation(
        "trader",
        OrganisationKind.TRADER,
        "Shunde Pearl River Furniture Co., Ltd.",
        "顺德珠江家具有限公司",
        "91440606MA4UHW001",
    ),
    DemoOrganisation(
        "customs",
        OrganisationKind.CUSTOMS,
        "Shunde–Shekou Integrated Port Customs",
        "顺德—蛇口组合港海关",
        "11100000MB0137215",
    ),
    DemoOrganisation("bank_a", OrganisationKind.BANK, "Greater Bay Trade Bank", "大湾区贸易银行", "91440300MA5HWB003"),
    DemoOrganisation("bank_b", OrganisationKind.BANK, "Lingnan Commercial Bank", "岭南商业银行", "91110000MA01HW004"),
    DemoOrganisation(
        "carrier", OrganisationKind.LOGISTICS, "Pearl Delta Barge Lines", "珠江三角洲驳船航运", "91440300MA5HWC005"
    ),
    DemoOrganisation(
        "terminal", OrganisationKind.LOGISTICS, "Shekou Container Terminals", "蛇口集装箱码头", "91440300MA5HWT006"
    ),
]

USERS = [
    DemoUser("trader", "trader", Role.TRADER_STAFF, "Li", "Wei"),
    DemoUser("officer.shunde", "customs", Role.CUSTOMS_OFFICER, "Chen", "Jing", ("CNSUD",)),
    DemoUser("officer.shekou", "customs", Role.CUSTOMS_OFFICER, "Huang", "Min", ("CNSHK",)),
    DemoUser("supervisor", "customs", Role.CUSTOMS_SUPERVISOR, "Zhou", "Lan", ("CNSUD", "CNSHK")),
    DemoUser("bank.gbtb", "bank_a", Role.BANK_OFFICER, "Wong", "Ka-ming"),
    DemoUser("bank.lingnan", "bank_b", Role.BANK_OFFICER, "Lam", "Yee"),
    DemoUser("carrier", "carrier", Role.LOGISTICS_SYSTEM, "Barge", "System"),
    DemoUser("terminal", "terminal", Role.LOGISTICS_SYSTEM, "Terminal", "System"),
]


@transaction.atomic
def demo_seed() -> list[tuple[str, str, str]]:
    """Create the demo organisations and users if missing; return (username, password, role label)."""
    organisations = {}
    for spec in ORGANISATIONS:
        uscc = spec.uscc_base + uscc_check_character(spec.uscc_base)
        organisations[spec.key] = Organisation.objects.filter(uscc=uscc).first() or organisation_create(
            kind=spec.kind, name_en=spec.name_en, name_zh=spec.name_zh, uscc=uscc
        )
    logins = []
    for spec in USERS:
        ports = list(Port.objects.filter(locode__in=spec.ports))
        user = User.objects.filter(username=spec.username).first()
        if user is None:
            user = user_create(
                username=spec.username,
                password=DEMO_PASSWORD,
                organisation=organisations[spec.organisation],
                role=spec.role,
                first_name=spec.first_name,
                last_name=spec.last_name,
                email=f"{spec.username}@demo.invalid",
                ports_served=ports,
            )
        else:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        logins.append((spec.username, DEMO_PASSWORD, Role(spec.role).label))
    if not User.objects.filter(username="admin").exists():
        User.objects.create_superuser("admin", "admin@demo.invalid", DEMO_PASSWORD)
    logins.append(("admin", DEMO_PASSWORD, "Administrator"))
    return logins
