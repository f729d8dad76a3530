"""Production logs: one JSON object per line, and no personal data after a login and checks."""

import copy
import datetime as dt
import io
import json
import logging
import logging.config

import pytest

from tests.accounts.test_oidc_login import PID, good_claims, log_in
from tests.factories import CardFactory, RoleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def production_logs(settings):
    """The settings' logging as production has it (JSON, request lines), into a buffer."""
    config = copy.deepcopy(settings.LOGGING)
    config["handlers"]["console"]["formatter"] = "json"
    config["loggers"]["hmskort.request"]["level"] = "INFO"
    logging.config.dictConfig(config)
    stream = io.StringIO()
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(stream)
    yield stream
    logging.config.dictConfig(settings.LOGGING)


def test_logs_are_json_lines_without_personal_data_after_a_login_and_card_checks(
    client, oidc, production_logs
):
    RoleFactory(national_id=PID, code="DAGL", company__name="Fjellbygg AS")
    response = log_in(client, oidc, "kari", **good_claims())
    assert response.status_code == 302
    card = CardFactory(holder__given_name="Ingrid", holder__family_name="Kvalheim")
    assert client.get(f"/api/v1/cards/{card.number}").status_code == 200
    assert client.get("/en/check/", {"number": card.number}).status_code == 200
    assert client.get(f"/en/check/{card.qr_token}/").status_code == 200
    # Unknown ones too: Django logs "Not Found: <path>" for these.
    assert client.get("/api/v1/cards/100000000008").status_code in {404, 422}
    assert client.get("/en/check/no-such-token-abcdef/").status_code == 404
    logging.getLogger("hmskort.test").warning("a warning naming %s", card.holder.national_id)

    lines = [json.loads(line) for line in production_logs.getvalue().splitlines()]
    # The stand-in for ID-porten runs in this process and logs what it sends; it is not hmskort.
    lines = [line for line in lines if line["logger"] not in {"werkzeug", "oidc_provider_mock"}]
    text = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)
    assert lines, "something was logged"
    for line in lines:
        assert {"time", "level", "logger", "message"} <= set(line)
    requests = [line for line in lines if line["logger"] == "hmskort.request"]
    assert {"route": "api:get_card", "method": "GET", "status": 200} in [
        {k: r[k] for k in ("route", "method", "status")} for r in requests
    ]
    for secret in (
        PID,
        card.holder.national_id,
        card.number,
        card.qr_token,
        "no-such-token-abcdef",
        "100000000008",
        "Kari",
        "Nordmann",
        "Ingrid",
        "Kvalheim",
    ):
        assert secret not in text, f"{secret!r} appears in the logs"


def test_a_failure_is_one_json_line_with_its_traceback_dates_in_iso_and_long_numbers_masked(
    production_logs,
):
    log = logging.getLogger("hmskort.test")
    try:
        raise ValueError("no card 123456789012")
    except ValueError:
        log.exception("check failed", extra={"day": dt.date(2026, 11, 30), "ref": "12345678901"})

    (line,) = [json.loads(text) for text in production_logs.getvalue().splitlines()]
    assert line["level"] == "ERROR"
    assert line["message"] == "check failed"
    assert line["day"] == "2026-11-30"
    assert line["ref"] == "*" * 11
    assert "ValueError: no card ************" in line["exc_info"]
    assert "123456789012" not in production_logs.getvalue()


def test_log_records_outside_production_keep_their_file_and_line_for_the_developer(caplog):
    with caplog.at_level(logging.INFO, logger="hmskort.test"):
        logging.getLogger("hmskort.test").info("where am I")

    (record,) = caplog.records
    assert record.filename == "test_json_logs.py" and record.lineno > 0
