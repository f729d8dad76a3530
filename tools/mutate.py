"""`make mutate`: mutation testing (mutmut 3) of the core rules, the identifiers and the access check.

Each module is mutated on its own, in a scratch directory under var/mutation/<name>/, against only
the tests that exercise it (the machine is shared: one module at a time, one worker by default).
Mutants that cannot change behaviour are listed with a reason in tools/mutation-equivalent.txt and
left out of the count. The last line is `mutation score: K/N killed (P %)` over all modules.

    .venv/bin/python tools/mutate.py [--children N] [MODULE ...]   # MODULE: rules, identifiers, ...
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENT = ROOT / "tools" / "mutation-equivalent.txt"
AIM = 95.0


@dataclass(frozen=True)
class Target:
    path: str  # under src/
    tests: tuple[str, ...]
    # Only mutants whose name (after the module) matches one of these count; empty: all. A
    # function f's mutants are x_f__mutmut_N, a method C.m's xǁCǁm__mutmut_N.
    functions: tuple[str, ...] = ()

    @property
    def module(self) -> str:
        return self.path.removesuffix(".py").replace("/", ".")


TARGETS = {
    "rules": Target("hmskort/cards/rules.py", ("tests/cards/test_rules.py",)),
    "identifiers": Target(
        "hmskort/identifiers.py", ("tests/test_identifiers.py", "tests/test_factories.py")
    ),
    "numbers": Target(
        "hmskort/cards/numbers.py", ("tests/cards/test_numbers.py", "tests/test_factories.py")
    ),
    "access": Target(
        "hmskort/companies/selectors.py",
        ("tests/companies/test_access.py", "tests/portal/test_access_matrix.py"),
        functions=(
            "x_access_for__mutmut_*",
            "x__units__mutmut_*",
            "x_delegations_in_force__mutmut_*",
            "xǁAccessǁ*",
        ),
    ),
}


def equivalent_mutants() -> dict[str, str]:
    """name -> reason, from the file of mutants that cannot change behaviour."""
    found = {}
    if EQUIVALENT.exists():
        for line in EQUIVALENT.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                name, _, reason = line.partition(" ")
                found[name] = reason.strip()
    return found


def _counts(target: Target, name: str) -> bool:
    if not target.functions:
        return True
    local = name.removeprefix(target.module + ".")
    return any(fnmatch.fnmatch(local, pattern) for pattern in target.functions)


def _scratch(name: str, target: Target) -> Path:
    """A directory with the project's pyproject plus a [tool.mutmut] section for this target."""
    scratch = ROOT / "var" / "mutation" / name
    scratch.mkdir(parents=True, exist_ok=True)
    for link in ("src", "tests"):
        if not (scratch / link).exists():
            (scratch / link).symlink_to(ROOT / link)
    config = (ROOT / "pyproject.toml").read_text()
    config = config.split("\n[tool.mutmut]")[0]
    selection = json.dumps(list(target.tests))
    config += (
        "\n[tool.mutmut]\n"
        'source_paths = ["src/hmskort"]\n'
        f'only_mutate = ["src/{target.path}"]\n'
        f"pytest_add_cli_args_test_selection = {selection}\n"
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-q", "-x"]\n'
        "use_git_change_detection = false\n"
    )
    (scratch / "pyproject.toml").write_text(config)
    return scratch


def run(name: str, target: Target, children: int) -> tuple[int, int, list[str]]:
    scratch = _scratch(name, target)
    # A fresh run every time: results cached from older code or older tests would mislead.
    shutil.rmtree(scratch / "mutants", ignore_errors=True)
    env = {
        **os.environ,
        "DEBUG": "0",
        "HMSKORT_NODE_MODULES": str(ROOT / "node_modules"),
        "HMSKORT_VAR_DIR": str(scratch / "var"),
    }
    mutmut = str(Path(sys.executable).parent / "mutmut")
    args = [mutmut, "run", "--max-children", str(children)]
    if target.functions:
        args += [f"{target.module}.{pattern}" for pattern in target.functions]
    log = scratch / "mutmut.log"
    print(f"{name}: mutmut run in {scratch.relative_to(ROOT)} (output in {log.name}) …", flush=True)
    with log.open("w") as out:
        subprocess.run(args, cwd=scratch, env=env, check=False, stdout=out, stderr=out)  # noqa: S603
    meta = scratch / "mutants" / "src" / (target.path + ".meta")
    results = json.loads(meta.read_text())["exit_code_by_key"]
    equivalent = equivalent_mutants()
    killed = total = 0
    survivors = []
    for mutant, code in sorted(results.items()):
        if not _counts(target, mutant) or mutant in equivalent:
            continue
        total += 1
        # 1 and 3: a test failed; 36, 24, 152, 255: timeout (an endless loop is caught too).
        if code in (1, 3, 36, 24, -24, 152, 255):
            killed += 1
        else:
            survivors.append(f"{mutant} (exit {code})")
    return killed, total, survivors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", metavar="MODULE", help=", ".join(TARGETS))
    parser.add_argument("--children", type=int, default=1, help="parallel mutants (default 1)")
    options = parser.parse_args()
    names = options.modules or list(TARGETS)
    unknown = [name for name in names if name not in TARGETS]
    if unknown:
        parser.error(f"unknown module {unknown}; one of {', '.join(TARGETS)}")
    all_killed = all_total = 0
    below = []
    for name in names:
        killed, total, survivors = run(name, TARGETS[name], options.children)
        percent = 100.0 * killed / total if total else 100.0
        for survivor in survivors:
            print(f"  survived: {survivor}")
        print(f"{name} ({TARGETS[name].path}): {killed}/{total} killed ({percent:.1f} %)")
        if percent < AIM:
            below.append(name)
        all_killed += killed
        all_total += total
    percent = 100.0 * all_killed / all_total if all_total else 100.0
    print(f"mutation score: {all_killed}/{all_total} killed ({percent:.1f} %)")
    return 1 if below else 0


if __name__ == "__main__":
    sys.exit(main())
