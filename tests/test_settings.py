import os
import subprocess
import sys
from pathlib import Path

HMSKORT = str(Path(sys.executable).parent / "hmskort")


def _run(env_extra: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    env.update(env_extra)
    return subprocess.run(
        [HMSKORT, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_the_service_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = _run({"DEBUG": "0"}, "check")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


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
