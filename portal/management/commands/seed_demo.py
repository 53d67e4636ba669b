from django.core.management.base import BaseCommand

from portal.demo import demo_seed


class Command(BaseCommand):
    help = "Create the demo organisations and users (idempotent) and print their logins."

    def handle(self, *args, **options):
        logins = demo_seed()
        self.stdout.write(self.style.SUCCESS("Demo logins (user name / password / role):"))
        for username, password, role in logins:
            self.stdout.write(f"  {username:<16} {password:<20} {role}")
