from django.core.management.base import BaseCommand
from django.test.utils import override_settings
from django.utils.module_loading import import_string

from portal.demo import DEMO_STEPS, demo_seed


class Command(BaseCommand):
    help = "Create the demo organisations and users (idempotent) and print their logins."

    def handle(self, *args, **options):
        # The demo's notifications are stored in the portal; their e-mails would only flood the console.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            logins = demo_seed()
            for step in DEMO_STEPS:
                created = import_string(step)()
                self.stdout.write(f"{step}: {created} created")
        self.stdout.write(self.style.SUCCESS("Demo logins (user name / password / role):"))
        for username, password, role in logins:
            self.stdout.write(f"  {username:<16} {password:<20} {role}")
