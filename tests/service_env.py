"""Print the shell exports the test run needs: which database and broker it uses.

Under CI=true the defaults are fixed (the suite then fails loudly if they do not answer).
Outside CI, a PostgreSQL or Redis answering on its usual loopback port is used; otherwise
the suite runs on SQLite with in-process tasks and skips what needs the missing service.
A per-run Celery queue and test database name keep concurrent runs on one machine apart.
"""

import os
import shlex
import socket

POSTGRES_DEFAULT = "postgres://postgres@127.0.0.1:5432/harbour"
REDIS_DEFAULT = "redis://127.0.0.1:6379/15"


def answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def main() -> None:
    ci = os.environ.get("CI", "").lower() == "true"
    run_id = f"{os.getpid()}"
    exports = {"CELERY_TASK_DEFAULT_QUEUE": f"hsw-test-{run_id}", "TEST_DATABASE_NAME": f"test_harbour_{run_id}"}
    if not os.environ.get("DATABASE_URL") and (ci or answers("127.0.0.1", 5432)):
        exports["DATABASE_URL"] = POSTGRES_DEFAULT
    if not os.environ.get("CELERY_BROKER_URL") and (ci or answers("127.0.0.1", 6379)):
        exports["CELERY_BROKER_URL"] = REDIS_DEFAULT
    for name, value in exports.items():
        print(f"export {name}={shlex.quote(value)}")


if __name__ == "__main__":
    main()
