import os
import subprocess
import sys
from pathlib import Path

HMSKORT = str(Path(sys.executable).parent / "hmskort")
CHECKOUT = Path(__file__).resolve().parent.parent
PRINT_SETTINGS = "from django.conf import settings; print(settings.DEBUG, settings.SECRET_KEY, settings.ALLOWED_HOSTS)"


def _run(env_extra: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "HMSKORT_ENV_FILE", "HMSKORT_HOME"}
    }
    # No .env unless the test names one: the checkout's own file must not decide these tests.
    env["HMSKORT_ENV_FILE"] = ""
    env.update(env_extra)
    return subprocess.run(
        [HMSKORT, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_the_service_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = _run({"DEBUG": "0"}, "check")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_a_missing_production_setting_is_one_line_on_stderr_not_a_traceback():
    result = _run({"DEBUG": "0"}, "check")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith("hmskort: SECRET_KEY must be set when DEBUG is off")


def test_make_install_writes_a_private_development_env_file_ignored_by_git(tmp_path):
    subprocess.run(
        ["make", "-s", "-C", str(tmp_path), "-f", str(CHECKOUT / "Makefile"), ".env"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    env_file = tmp_path / ".env"
    lines = [line for line in env_file.read_text().splitlines() if not line.startswith("#")]
    assert "DEBUG=1" in lines
    secret = next(line for line in lines if line.startswith("SECRET_KEY="))
    assert len(secret.removeprefix("SECRET_KEY=")) >= 50
    assert env_file.stat().st_mode & 0o077 == 0
    assert ".env" in (CHECKOUT / ".gitignore").read_text().splitlines()


def test_the_cli_runs_from_a_checkout_with_its_env_file_and_no_other_setup(tmp_path):
    subprocess.run(
        ["make", "-s", "-C", str(tmp_path), "-f", str(CHECKOUT / "Makefile"), ".env"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    # HMSKORT_ENV_FILE unset: the CLI finds the .env at the checkout's root by itself.
    checkout = {"HMSKORT_HOME": str(tmp_path), "HMSKORT_VAR_DIR": str(tmp_path / "var")}
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    env.pop("HMSKORT_ENV_FILE", None)
    env.update(checkout)
    result = subprocess.run(
        [HMSKORT, "check"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
    result = subprocess.run(
        [HMSKORT, "shell", "--no-imports", "-c", PRINT_SETTINGS],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    secret = next(
        line.removeprefix("SECRET_KEY=")
        for line in (tmp_path / ".env").read_text().splitlines()
        if line.startswith("SECRET_KEY=")
    )
    assert result.stdout.split()[:2] == ["True", secret]


def test_real_environment_variables_take_precedence_over_the_env_file(tmp_path):
    env_file = tmp_path / "hmskort.env"
    env_file.write_text("DEBUG=1\nSECRET_KEY=from-the-file\nALLOWED_HOSTS=file.example\n")
    result = _run(
        {
            "HMSKORT_ENV_FILE": str(env_file),
            "DEBUG": "0",
            "ALLOWED_HOSTS": "environment.example",
        },
        "shell",
        "--no-imports",
        "-c",
        PRINT_SETTINGS,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False from-the-file ['environment.example']"


def test_deploy_check_is_clean_with_production_settings():
    result = _run(
        {
            "DEBUG": "0",
            "SECRET_KEY": "a-long-random-production-secret-key-" + "x" * 40,
            "ALLOWED_HOSTS": "hmskort.example",
            "HMSKORT_BASE_URL": "https://hmskort.example",
        },
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout
