from django.apps import AppConfig


class DeclarationsConfig(AppConfig):
    name = "declarations"

    def ready(self) -> None:
        from portal.ledger.registry import register

        from .verification import DECLARATION_RECORD

        register(DECLARATION_RECORD)
