"""Run a command that regenerates the translation catalogues (`make messages`) and put back every
catalogue whose only change is the POT-Creation-Date header line, so a run that found no new or
changed text leaves the files untouched (no merge churn between branches).

    python tools/keep_po_dates.py src/hmskort -- hmskort makemessages -l nb --no-obsolete

Every `*.po` under the given folder is read before the command runs; afterwards a catalogue
whose text is the same apart from that header line is written back as it was. Prints how many
catalogues changed. Exits with the command's exit code.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

DATE_LINE = re.compile(r'^"POT-Creation-Date: [^"]*\\n"\n', re.MULTILINE)


def _without_date(text: str) -> str:
    return DATE_LINE.sub("", text, count=1)


def main(argv: list[str]) -> int:
    if "--" not in argv or argv.index("--") != 1:
        print(__doc__.strip().splitlines()[3].strip(), file=sys.stderr)
        return 2
    root, command = Path(argv[0]), argv[2:]
    before = {path: path.read_text(encoding="utf-8") for path in root.rglob("*.po")}
    returncode = subprocess.run(command, check=False).returncode  # noqa: S603 (the Makefile's)
    changed = 0
    for path in sorted(root.rglob("*.po")):
        old = before.get(path)
        new = path.read_text(encoding="utf-8")
        if old is not None and new != old and _without_date(new) == _without_date(old):
            path.write_text(old, encoding="utf-8")
        elif new != old:
            changed += 1
            print(f"changed: {path}")
    print(f"{changed} catalogue(s) changed")
    return returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
