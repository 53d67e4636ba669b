from django.core.management.base import BaseCommand

from portal.reference import reference_data_load


class Command(BaseCommand):
    help = "Load (or refresh) ports, countries, currencies and HS codes from portal/reference_data/. Idempotent."

    def handle(self, *args, **options):
        counts = reference_data_load()
        for table, count in counts.items():
            self.stdout.write(f"{table}: {count}")
