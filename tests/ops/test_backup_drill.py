"""The backup drill of docs/deploy.md on a small PostgreSQL database: dump, drop, restore, and
the same cards with the same validity come back."""

import os
import shutil
import subprocess

import psycopg
import pytest
from django.db import connection

from hmskort.audit.models import AuditEvent
from tests.factories import CardFactory

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the drill is for PostgreSQL (pg_dump/pg_restore)"
    ),
    pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed"),
    pytest.mark.django_db(transaction=True),
]

CARDS_SQL = "SELECT number, state, valid, reasons::text, expires_on FROM cards_card ORDER BY number"


def _libpq(name: str) -> tuple[list[str], dict[str, str]]:
    """Connection arguments for the PostgreSQL command-line tools, from Django's settings."""
    params = connection.settings_dict
    args = ["--host", params["HOST"] or "127.0.0.1", "--port", str(params["PORT"] or 5432)]
    if params["USER"]:
        args += ["--username", params["USER"]]
    env = {**os.environ, "PGPASSWORD": params["PASSWORD"] or ""}
    return [*args, "--dbname", name], env


def _psql(sql: str) -> None:
    args, env = _libpq("postgres")
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", *args, "-c", sql], env=env, check=True)


def test_a_dump_restored_into_a_new_database_holds_the_same_cards_and_validity(tmp_path):
    CardFactory(valid=True)
    CardFactory(valid=False, reasons=["vat_register", "cleaning_register"])
    CardFactory(valid=False, reasons=["expired"], state="blocked")
    AuditEvent.objects.create(
        actor_kind="system", action="drill.marker", object_type="drill", object_id="1"
    )
    source = connection.settings_dict["NAME"]
    restored = f"{source}_drill"
    dump = tmp_path / "hmskort.dump"

    # 1. Dump (custom format: compressed, restorable table by table).
    args, env = _libpq(source)
    subprocess.run(
        ["pg_dump", "--format=custom", "--no-owner", "--file", str(dump), *args],
        env=env,
        check=True,
    )

    # 2. The database is lost: drop it (here a copy of it, so the test session keeps its own).
    _psql(f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)')
    _psql(f'CREATE DATABASE "{restored}"')
    try:
        # 3. Restore into an empty database.
        args, env = _libpq(restored)
        subprocess.run(
            ["pg_restore", "--no-owner", "--exit-on-error", *args, str(dump)], env=env, check=True
        )

        # 4. The same cards, states, validity and reasons; the audit log came back too.
        with connection.cursor() as cursor:
            cursor.execute(CARDS_SQL)
            before = cursor.fetchall()
        params = connection.settings_dict
        with psycopg.connect(
            host=params["HOST"] or "127.0.0.1",
            port=params["PORT"] or 5432,
            user=params["USER"] or None,
            password=params["PASSWORD"] or None,
            dbname=restored,
        ) as restored_db:
            after = restored_db.execute(CARDS_SQL).fetchall()
            markers = restored_db.execute(
                "SELECT count(*) FROM audit_auditevent WHERE action = 'drill.marker'"
            ).fetchone()[0]
        assert len(before) == 3
        assert after == before
        assert markers == 1
    finally:
        _psql(f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)')
