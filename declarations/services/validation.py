"""The domain rules of a declaration, checked the same way for forms, the API and services.

Input is already parsed into Python values (forms and serializers turn text into Decimal,
int, codes); these functions check the rules and name each bad field with a dotted path:
``origin_port``, ``items.2.hs_code``, ``containers.0.number``.
"""

from collections import defaultdict
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from portal.models import Country, Currency, HSCode, IntegratedPortPair, Port
from portal.reference_cache import reference_snapshot

from ..choices import Procedure
from ..validators import normalise_container_number, validate_container_number

HEADER_REQUIRED_FOR_SUBMIT = [
    "direction",
    "procedure",
    "origin_port",
    "foreign_port",
    "transport_document_number",
    "consignor_name",
    "consignee_name",
    "consignee_country",
    "incoterm",
    "invoice_currency",
]
ITEM_FIELDS = [
    "hs_code",
    "description",
    "origin_country",
    "quantity",
    "unit",
    "packages",
    "gross_mass",
    "net_mass",
    "value",
]
CONTAINER_FIELDS = ["number", "size_type", "seal_number"]


class ReferenceTables:
    """The ports, countries, currencies and HS codes an input mentions.

    They come from the process's snapshot of the reference tables (``portal.reference_cache``);
    a code the snapshot lacks is looked up in the database (one query per kind, only then), so
    a row added by another process since the snapshot was taken is found. ``known_ports`` and
    ``known_hs_codes`` are rows the caller has already read (a stored declaration's ports and
    its items' HS codes); ``stored_countries`` and ``stored_currencies`` are codes read from a
    stored declaration's foreign keys, which the database guarantees to exist.
    """

    def __init__(
        self,
        header: dict,
        items: list[dict],
        *,
        known_ports: list[Port] = (),
        known_hs_codes: list[HSCode] = (),
        stored_countries: set[str] = frozenset(),
        stored_currencies: set[str] = frozenset(),
    ):
        snapshot = reference_snapshot()
        port_codes = {header.get(name) for name in ("origin_port", "transfer_port", "foreign_port")} - {None, ""}
        country_codes = {item.get("origin_country") for item in items} | {header.get("consignee_country")}
        country_codes -= {None, ""}
        self.ports = {port.locode: port for port in known_ports if port is not None and port.locode in port_codes}
        self.ports.update(
            (code, snapshot.ports[code]) for code in port_codes - self.ports.keys() if code in snapshot.ports
        )
        if missing := port_codes - self.ports.keys():
            self.ports.update((port.locode, port) for port in Port.objects.filter(locode__in=missing))
        self.countries = country_codes & (set(stored_countries) | snapshot.countries)
        if missing := country_codes - self.countries:
            self.countries |= set(Country.objects.filter(alpha2__in=missing).values_list("alpha2", flat=True))
        currency = header.get("invoice_currency")
        self.currencies = {currency} & (set(stored_currencies) | snapshot.currencies) if currency else set()
        if currency and not self.currencies:
            self.currencies = set(Currency.objects.filter(code=currency).values_list("code", flat=True))
        hs_codes = {item.get("hs_code") for item in items} - {None, ""}
        self.hs_codes = {code.code: code for code in known_hs_codes if code.code in hs_codes}
        self.hs_codes.update(
            (code, snapshot.hs_codes[code]) for code in hs_codes - self.hs_codes.keys() if code in snapshot.hs_codes
        )
        if missing := hs_codes - self.hs_codes.keys():
            self.hs_codes.update((code.code, code) for code in HSCode.objects.filter(code__in=missing))


def _integrated_pair_exists(*port_ids: int) -> bool:
    """Whether the ports (one, or a pair) are in an integrated pair: the snapshot, then the database if not there."""
    wanted = frozenset(port_ids)
    if any(wanted <= pair for pair in reference_snapshot().integrated_pairs):
        return True
    pairs = IntegratedPortPair.objects.all()
    for port_id in wanted:
        pairs = pairs.filter(Q(river_port_id=port_id) | Q(hub_port_id=port_id))
    return pairs.exists()


def _blank(value) -> bool:
    return value is None or value == ""


def declaration_errors(
    header: dict, items: list[dict], containers: list[dict], *, complete: bool, tables: ReferenceTables | None = None
) -> dict:
    """Every rule the input breaks, as ``{dotted field: [messages]}``; empty when it is valid.

    With ``complete=False`` (a draft) missing values are allowed but present ones must be
    right; with ``complete=True`` (submit) everything must be there. ``tables``, when given,
    are this input's reference rows already read (so a caller that writes next reuses them).
    """
    errors: dict[str, list[str]] = defaultdict(list)
    tables = tables if tables is not None else ReferenceTables(header, items)
    required = _("This field is required before the declaration can be submitted.")

    if complete:
        for name in HEADER_REQUIRED_FOR_SUBMIT:
            if _blank(header.get(name)):
                errors[name].append(required)
        if not items:
            errors["items"].append(_("A declaration needs at least one goods item."))

    for name in ("origin_port", "transfer_port", "foreign_port"):
        code = header.get(name)
        if not _blank(code) and code not in tables.ports:
            errors[name].append(_("“%(code)s” is not a known port (UN/LOCODE).") % {"code": code})
    for name, known in (("consignee_country", tables.countries), ("invoice_currency", tables.currencies)):
        code = header.get(name)
        if not _blank(code) and code not in known:
            what = _("an ISO 3166 country code") if name == "consignee_country" else _("an ISO 4217 currency code")
            errors[name].append(_("“%(code)s” is not %(what)s.") % {"code": code, "what": what})

    _check_route(header, tables, errors, complete=complete)

    for index, item in enumerate(items):
        _check_item(index, item, tables, errors, complete=complete)

    seen: dict[str, int] = {}
    for index, container in enumerate(containers):
        prefix = f"containers.{index}"
        for name in CONTAINER_FIELDS:
            if complete and _blank(container.get(name)):
                errors[f"{prefix}.{name}"].append(required)
        number = normalise_container_number(container.get("number") or "")
        if number:
            try:
                validate_container_number(number)
            except ValidationError as error:
                errors[f"{prefix}.number"].extend(error.messages)
            if number in seen:
                errors[f"{prefix}.number"].append(
                    _("Container %(number)s is already declared on line %(line)d.")
                    % {"number": number, "line": seen[number] + 1}
                )
            seen.setdefault(number, index)
        low, high = container.get("temperature_min"), container.get("temperature_max")
        if low is not None and high is not None and low > high:
            errors[f"{prefix}.temperature_max"].append(_("The highest temperature is below the lowest."))
    return dict(errors)


def _check_route(header: dict, tables: ReferenceTables, errors: dict, *, complete: bool) -> None:
    origin = tables.ports.get(header.get("origin_port") or "")
    transfer = tables.ports.get(header.get("transfer_port") or "")
    if header.get("procedure") == Procedure.INTEGRATED:
        if transfer is None and complete and "transfer_port" not in errors:
            errors["transfer_port"].append(_("An integrated declaration needs the other port of the pair."))
        if origin and transfer:
            if origin.pk == transfer.pk:
                errors["transfer_port"].append(_("The transfer port must differ from the origin port."))
            elif not _integrated_pair_exists(origin.pk, transfer.pk):
                errors["transfer_port"].append(
                    _("%(origin)s and %(transfer)s are not an integrated port pair.")
                    % {"origin": origin.locode, "transfer": transfer.locode}
                )
        elif origin and complete and not _integrated_pair_exists(origin.pk):
            errors["origin_port"].append(
                _("%(port)s is not part of an integrated port pair.") % {"port": origin.locode}
            )
    elif header.get("procedure") == Procedure.STANDARD and transfer is not None:
        errors["transfer_port"].append(_("A standard declaration has no transfer port; choose “integrated”."))


def _check_item(index: int, item: dict, tables: ReferenceTables, errors: dict, *, complete: bool) -> None:
    prefix = f"items.{index}"
    if complete:
        for name in ITEM_FIELDS:
            if _blank(item.get(name)):
                errors[f"{prefix}.{name}"].append(_("This field is required."))
    code = item.get("hs_code")
    if not _blank(code):
        hs_code = tables.hs_codes.get(code)
        if hs_code is None:
            errors[f"{prefix}.hs_code"].append(_("HS code %(code)s is not in the tariff.") % {"code": code})
        elif not hs_code.is_leaf:
            errors[f"{prefix}.hs_code"].append(
                _("HS code %(code)s has more detailed codes below it; choose one of those.") % {"code": code}
            )
    country = item.get("origin_country")
    if not _blank(country) and country not in tables.countries:
        errors[f"{prefix}.origin_country"].append(_("“%(code)s” is not an ISO 3166 country code.") % {"code": country})
    gross, net = item.get("gross_mass"), item.get("net_mass")
    for name, value in (("gross_mass", gross), ("net_mass", net), ("quantity", item.get("quantity"))):
        if value is not None and value <= 0:
            errors[f"{prefix}.{name}"].append(_("Must be greater than zero."))
        elif value is not None and Decimal(value).as_tuple().exponent < -3:
            errors[f"{prefix}.{name}"].append(_("At most three decimal places."))
    if gross is not None and net is not None and gross > 0 and net > gross:
        errors[f"{prefix}.net_mass"].append(
            _("Net mass (%(net)s kg) cannot exceed gross mass (%(gross)s kg).") % {"net": net, "gross": gross}
        )
    packages = item.get("packages")
    if packages is not None and packages < 1:
        errors[f"{prefix}.packages"].append(_("At least one package."))
    value = item.get("value")
    if value is not None:
        if value < 0:
            errors[f"{prefix}.value"].append(_("Must not be negative."))
        elif Decimal(value).as_tuple().exponent < -2:
            errors[f"{prefix}.value"].append(_("At most two decimal places."))
