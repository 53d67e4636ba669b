"""Thin Celery wrappers around inspection services."""

from celery import shared_task

from .services import slots_generate


@shared_task(name="inspections.slots_generate", ignore_result=True)
def inspection_slots_generate(days_ahead: int = 14) -> int:
    """Keep two weeks of slots ahead at every active site (idempotent: existing slots are left alone)."""
    return slots_generate(days_ahead=days_ahead)
