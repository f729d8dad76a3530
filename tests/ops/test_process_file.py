"""The Procfile and the Containerfile describe commands that exist."""

import os
import shlex
import subprocess
import sys
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _processes() -> dict[str, list[str]]:
    processes = {}
    for line in (CHECKOUT / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, command = line.split(":", 1)
            processes[name.strip()] = shlex.split(command)
    return processes


def _help(argv: list[str]) -> subprocess.CompletedProcess:
    env = {**os.environ, "DEBUG": "1", "HMSKORT_ENV_FILE": ""}
    return subprocess.run(
        [str(BIN / argv[0]), *argv[1:]], env=env, capture_output=True, text=True, timeout=60
    )


def test_the_process_file_describes_web_worker_and_scheduler_processes():
    assert {"web", "worker", "scheduler"} <= set(_processes())


def test_every_command_in_the_process_file_exists_and_accepts_its_options():
    for name, argv in _processes().items():
        assert (BIN / argv[0]).exists(), f"{name}: {argv[0]} is not installed"
        if argv[0] == "hmskort":
            result = _help([argv[0], argv[1], "--help"])
            assert result.returncode == 0, f"{name}: {result.stderr}"
            for option in (arg for arg in argv[2:] if arg.startswith("--")):
                assert option in result.stdout, f"{name}: hmskort {argv[1]} has no {option}"
        else:
            result = _help([argv[0], "--help"])
            assert result.returncode == 0, f"{name}: {result.stderr}"
            for option in (arg for arg in argv[1:] if arg.startswith("--")):
                assert option in result.stdout, f"{name}: {argv[0]} has no {option}"


def test_the_web_process_and_the_container_load_the_repository_gunicorn_configuration():
    web = _processes()["web"]
    config = web[web.index("--config") + 1]
    assert config == "python:hmskort.gunicorn_conf"
    containerfile = (CHECKOUT / "Containerfile").read_text()
    assert '"python:hmskort.gunicorn_conf"' in containerfile
    assert "USER hmskort" in containerfile
    final_stage = containerfile.rsplit("\nFROM ", 1)[1]
    assert "build-essential" not in final_stage and "gcc" not in final_stage
