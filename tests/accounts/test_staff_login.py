"""Staff log in with a password and a TOTP code; repeated failures lock the login."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from hmskort.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

LOGIN = "/kontor/logg-inn/"
PASSWORD = "a-long-password-1"


def code_for(user, *, offset_steps: int = 0) -> str:
    device = TOTPDevice.objects.get(user=user)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + offset_steps * device.step
    return f"{totp.token():06d}"


def log_in(client, user, *, password=PASSWORD, code=None, **extra):
    data = {"username": user.username, "password": password, "otp_token": code or code_for(user)}
    return client.post(LOGIN, data, **extra)


def test_a_verifier_logs_in_with_password_and_code_and_reaches_the_back_office(client, make_staff):
    user = make_staff("verifier", "vera")

    response = log_in(client, user)

    assert response.status_code == 302
    assert response["Location"] == "/kontor/"
    page = client.get("/kontor/").content.decode()
    assert "Innlogget som vera" in page
    assert "Kontrollør" in page
    assert AuditEvent.objects.filter(action="staff.logged_in", actor_ref="vera").exists()


def test_the_right_password_without_the_right_code_is_refused_with_one_message(client, make_staff):
    user = make_staff("support", "stine")

    response = log_in(client, user, code="000000" if code_for(user) != "000000" else "111111")

    assert response.status_code == 400
    page = response.content.decode()
    assert "Brukernavnet, passordet eller koden er feil." in page
    assert client.get("/kontor/").status_code == 302


def test_a_wrong_password_gets_the_same_message_as_a_wrong_code_in_english(client, make_staff):
    user = make_staff("support", "stine")

    response = client.post(
        "/en/office/login/",
        {"username": "stine", "password": "wrong-password-1", "otp_token": code_for(user)},
    )

    assert response.status_code == 400
    assert "The username, password or code is wrong." in response.content.decode()


def test_the_code_must_be_six_digits(client, make_staff):
    user = make_staff("support", "stine")

    response = log_in(client, user, code="12ab56")

    assert response.status_code == 400
    assert "Koden er 6 sifre." in response.content.decode()


def test_an_error_summary_takes_focus_and_links_to_the_field(client, make_staff):
    make_staff("support", "stine")

    page = client.post(LOGIN, {"username": "stine"}).content.decode()

    assert 'id="error-summary"' in page and "autofocus" in page
    assert 'href="#id_password"' in page


def test_a_user_without_a_back_office_role_cannot_log_in(client, django_user_model):
    user = django_user_model.objects.create_user("someone", password=PASSWORD)
    TOTPDevice.objects.create(user=user, name="default", confirmed=True)

    response = log_in(client, user)

    assert response.status_code == 400
    assert client.get("/kontor/").status_code == 302


@override_settings(AXES_FAILURE_LIMIT=3)
def test_repeated_failures_lock_the_login_even_with_the_right_credentials_after(client, make_staff):
    user = make_staff("production", "per")
    for _attempt in range(3):
        log_in(client, user, password="wrong-password-1")

    response = log_in(client, user)

    assert response.status_code == 429
    assert "For mange mislykkede forsøk" in response.content.decode()
    assert int(response["Retry-After"]) > 0
    assert client.get("/kontor/").status_code == 302


@override_settings(AXES_FAILURE_LIMIT=3)
def test_wrong_codes_count_towards_the_lock_as_well(client, make_staff):
    user = make_staff("production", "per")
    wrong = "000000" if code_for(user) != "000000" else "111111"
    for _attempt in range(3):
        log_in(client, user, code=wrong)

    assert log_in(client, user).status_code == 429


def test_a_code_cannot_be_used_twice(client, make_staff):
    user = make_staff("verifier", "vera")
    code = code_for(user)
    assert log_in(client, user, code=code).status_code == 302
    client.post("/kontor/logg-ut/")

    assert log_in(client, user, code=code).status_code == 400


def test_logging_out_ends_the_staff_session(client, make_staff):
    user = make_staff("verifier", "vera")
    log_in(client, user)

    response = client.post("/kontor/logg-ut/", follow=True)

    assert "Du er logget ut." in response.content.decode()
    assert client.get("/kontor/").status_code == 302


def test_the_admin_has_no_login_of_its_own_and_sends_to_the_staff_login(client):
    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    follow = client.get(response["Location"])
    assert follow.status_code == 302
    assert follow["Location"].startswith(LOGIN)


def test_a_superuser_logged_in_without_a_code_does_not_reach_the_admin(client, django_user_model):
    user = django_user_model.objects.create_superuser("root", "r@example.no", PASSWORD)
    client.force_login(user)

    assert client.get("/admin/").status_code == 302


def test_staff_create_prints_the_secret_once_and_it_works_for_login(client, capsys):
    from django.core.management import call_command

    call_command("staff", "create", "--username", "ada", "--role", "administrator")
    out = capsys.readouterr().out
    password = next(line.split()[-1] for line in out.splitlines() if line.startswith("password"))
    assert "otpauth://totp/" in out
    from django.contrib.auth.models import User

    user = User.objects.get(username="ada")

    assert log_in(client, user, password=password).status_code == 302
    assert client.get("/admin/").status_code == 200
