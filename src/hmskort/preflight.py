"""Refuse to serve in production without the settings production cannot do without.

One clear line on stderr for each missing setting, exit status 2, no traceback. Run by the
gunicorn configuration (so `make serve`, the container and the Procfile all get it) and by
`python -m hmskort.preflight`.
"""

import os
import sys

from dotenv import load_dotenv

REQUIRED = {
    "SECRET_KEY": "Django's secret key (long and random)",
    "DATABASE_URL": "the PostgreSQL database, e.g. postgres://user@host:5432/hmskort",
}


def missing_production_settings() -> list[str]:
    # The same .env rule as the settings: an explicitly named file only (make serve names none).
    env_file = os.environ.get("HMSKORT_ENV_FILE", "")
    if env_file:
        load_dotenv(env_file, override=False)
    return [
        f"hmskort: {name} is not set; production needs {meaning} (see docs/deploy.md)"
        for name, meaning in REQUIRED.items()
        if not os.environ.get(name, "").strip()
    ]


def require_production_settings() -> None:
    problems = missing_production_settings()
    if os.environ.get("DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}:
        problems.append("hmskort: DEBUG is on; production serving needs DEBUG=0")
    if problems:
        sys.stderr.write("\n".join(problems) + "\n")
        sys.stderr.flush()
        sys.exit(2)


if __name__ == "__main__":
    require_production_settings()
