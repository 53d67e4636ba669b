"""Logistics evidence for tests, stored as the ingestion would store it."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from declarations.models import ContainerEvent, Manifest, ManifestLine, SensorReading
from portal.models import Port
from tests import factories


def carrier_organisation():
    return factories.OrganisationFactory(kind="logistics")


def manifest_for(
    declaration, *, source=None, packages=None, gross_mass=None, consignee=None, containers=None, external_id="M-1"
) -> ManifestLine:
    """A barge manifest (origin → transfer port) whose line matches the declaration unless told otherwise."""
    source = source or carrier_organisation()
    manifest = Manifest.objects.create(
        source=source,
        external_id=external_id,
        carrier="Pearl Delta Barge Lines",
        vessel="Xijiang 18",
        voyage="V2611",
        port_of_loading=declaration.origin_port,
        port_of_discharge=declaration.transfer_port or Port.objects.get(locode="CNSHK"),
    )
    return ManifestLine.objects.create(
        manifest=manifest,
        transport_document_number=declaration.transport_document_number,
        consignee_name=consignee if consignee is not None else declaration.consignee_name,
        packages=packages if packages is not None else declaration.total_packages,
        gross_mass=gross_mass if gross_mass is not None else declaration.total_gross_mass,
        containers=containers
        if containers is not None
        else list(declaration.containers.values_list("number", flat=True)),
    )


def event(
    container: str,
    event_type: str,
    port: str,
    *,
    minutes_ago: int = 10,
    source=None,
    seal: str = "",
    weight: Decimal | None = None,
    external_id: str | None = None,
) -> ContainerEvent:
    source = source or carrier_organisation()
    return ContainerEvent.objects.create(
        source=source,
        external_id=external_id or f"E-{container}-{event_type}-{port}-{minutes_ago}",
        container_number=container,
        event_type=event_type,
        port=Port.objects.get(locode=port),
        occurred_at=timezone.now() - timedelta(minutes=minutes_ago),
        seal_number=seal,
        weight=weight,
    )


def reading(container: str, kind: str, value: str, *, minutes_ago: int = 5, source=None) -> SensorReading:
    source = source or carrier_organisation()
    return SensorReading.objects.create(
        source=source,
        external_id=f"R-{container}-{kind}-{minutes_ago}-{value}",
        container_number=container,
        device="IOT-7",
        kind=kind,
        value=value,
        read_at=timezone.now() - timedelta(minutes=minutes_ago),
    )
