"""Settings come from the environment: embedded defaults with nothing set, strict with production values."""

import json
import os
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "SECRET_KEY": "n7#Qz1v$Lr8-pX2wK9@mT4yB6cJ0hF5sD3gA7eR1uI8oP2lZ6xC9vN4bM0kW5jH",
    "DEBUG": "false",
    "ALLOWED_HOSTS": "portal.example.cn",
    "DATABASE_URL": "postgres://portal:secret@db.internal:5432/portal",
    "CELERY_BROKER_URL": "redis://broker.internal:6379/0",
    "EMAIL_HOST": "smtp.example.cn",
}

PRINT_SETTINGS = (
    "import django, json; django.setup(); from django.conf import settings as s;"
    "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'], 'name': str(s.DATABASES['default']['NAME']),"
    "'eager': s.CELERY_TASK_ALWAYS_EAGER, 'email': s.EMAIL_BACKEND, 'debug': s.DEBUG,"
    "'key_length': len(s.SECRET_KEY), 'broker': s.CELERY_BROKER_URL, 'acks_late': s.CELERY_TASK_ACKS_LATE,"
    "'reject_on_lost': s.CELERY_TASK_REJECT_ON_WORKER_LOST, 'serializer': s.CELERY_TASK_SERIALIZER,"
    "'ssl_redirect': getattr(s, 'SECURE_SSL_REDIRECT', False)}))"
)


def clean_environment(**extra) -> dict:
    """This process's environment without any of the settings' variables, plus ``extra``."""
    names = {
        "SECRET_KEY",
        "DEBUG",
        "ALLOWED_HOSTS",
        "DATABASE_URL",
        "CELERY_BROKER_URL",
        "EMAIL_HOST",
        "EMAIL_BACKEND",
        "CELERY_TASK_DEFAULT_QUEUE",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    }
    env = {key: value for key, value in os.environ.items() if key not in names}
    env["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    env.update(extra)
    return env


def run_python(code: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=60
    )


def test_nothing_set_gives_the_embedded_portal():
    result = run_python(PRINT_SETTINGS, clean_environment())
    assert result.returncode == 0, result.stderr
    settings = json.loads(result.stdout)
    assert settings["engine"] == "django.db.backends.sqlite3"
    assert Path(settings["name"]) == PROJECT / "db.sqlite3"
    assert settings["eager"] is True
    assert settings["email"] == "django.core.mail.backends.console.EmailBackend"
    assert settings["debug"] is True
    assert settings["key_length"] >= 50
    assert (PROJECT / ".dev-secret-key").exists()


def test_production_values_configure_postgres_redis_smtp_and_reliable_tasks():
    result = run_python(PRINT_SETTINGS, clean_environment(**PRODUCTION_ENV))
    assert result.returncode == 0, result.stderr
    settings = json.loads(result.stdout)
    assert settings["engine"] == "django.db.backends.postgresql"
    assert settings["eager"] is False
    assert settings["broker"] == "redis://broker.internal:6379/0"
    assert settings["email"] == "django.core.mail.backends.smtp.EmailBackend"
    assert settings["debug"] is False
    assert settings["acks_late"] and settings["reject_on_lost"] and settings["serializer"] == "json"
    assert settings["ssl_redirect"] is True


def test_debug_off_without_a_secret_key_refuses_to_start():
    result = run_python(PRINT_SETTINGS, clean_environment(DEBUG="false", ALLOWED_HOSTS="x"))
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_check_deploy_is_clean_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=PROJECT,
        env=clean_environment(**PRODUCTION_ENV),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_flags_debug_settings():
    """The test above would be meaningless if --deploy never complained: with DEBUG on, it does."""
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=PROJECT,
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "security.W018" in result.stdout + result.stderr
