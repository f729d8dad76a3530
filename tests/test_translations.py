"""Every page and message exists in bokmål: the catalogues are complete and up to date."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "hmskort"


def _catalogues(root: Path) -> dict[str, set[str]]:
    return {
        str(po.relative_to(root)): {e.msgid for e in polib.pofile(str(po)) if not e.obsolete}
        for po in sorted(root.rglob("nb/LC_MESSAGES/django.po"))
    }


def test_every_norwegian_string_is_translated_and_none_is_fuzzy():
    problems = []
    for po_path in SRC.rglob("nb/LC_MESSAGES/django.po"):
        for entry in polib.pofile(str(po_path)):
            if entry.obsolete:
                continue
            if not entry.translated() or "fuzzy" in entry.flags:
                problems.append(f"{po_path.relative_to(SRC)}: {entry.msgid!r}")
    assert problems == []


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext is not installed")
def test_catalogues_hold_every_string_in_the_code(tmp_path):
    copy = tmp_path / "hmskort"
    shutil.copytree(SRC, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    apps = sorted(p.parent.name for p in copy.glob("*/apps.py"))
    hmskort_cli = str(Path(sys.executable).parent / "hmskort")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "hmskort.settings", "DEBUG": "1"}
    for app in apps:
        subprocess.run(
            [hmskort_cli, "makemessages", "-l", "nb", "-v", "0"],
            cwd=copy / app,
            check=True,
            env=env,
        )
    ignores = [arg for app in apps for arg in ("--ignore", f"{app}/*")]
    subprocess.run(
        [hmskort_cli, "makemessages", "-l", "nb", "-v", "0", *ignores],
        cwd=copy,
        check=True,
        env=env,
    )
    committed = _catalogues(SRC)
    extracted = _catalogues(copy)
    missing = {
        name: sorted(ids - committed.get(name, set()))
        for name, ids in extracted.items()
        if ids - committed.get(name, set())
    }
    assert missing == {}, "run `make messages` and translate the new strings"


def test_no_text_has_two_different_norwegian_translations_across_the_catalogues():
    """Django merges the apps' catalogues and the first app in INSTALLED_APPS wins: a text
    translated differently in two apps would silently read as the other app's words."""
    translations: dict[tuple, dict[object, list[str]]] = {}
    for po_path in sorted(SRC.rglob("nb/LC_MESSAGES/django.po")):
        for entry in polib.pofile(str(po_path)):
            if entry.obsolete or not entry.translated():
                continue
            key = (entry.msgctxt, entry.msgid, entry.msgid_plural)
            value = (
                tuple(sorted(entry.msgstr_plural.items())) if entry.msgid_plural else entry.msgstr
            )
            translations.setdefault(key, {}).setdefault(value, []).append(
                str(po_path.relative_to(SRC))
            )
    conflicts = {key[1]: found for key, found in translations.items() if len(found) > 1}
    assert conflicts == {}


def _run_keep_po_dates(root: Path, script: str) -> subprocess.CompletedProcess:
    tool = SRC.parent.parent / "tools" / "keep_po_dates.py"
    return subprocess.run(
        [sys.executable, str(tool), str(root), "--", sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
    )


PO = """msgid ""
msgstr ""
"POT-Creation-Date: 2026-11-30 04:28+0100\\n"
"Language: nb\\n"

msgid "Valid"
msgstr "Gyldig"
"""


def test_make_messages_leaves_a_catalogue_alone_when_only_its_date_would_change(tmp_path):
    po = tmp_path / "portal" / "locale" / "nb" / "LC_MESSAGES" / "django.po"
    po.parent.mkdir(parents=True)
    po.write_text(PO, encoding="utf-8")
    redate = (
        f"import pathlib; p = pathlib.Path({str(po)!r}); "
        "p.write_text(p.read_text().replace('2026-11-30 04:28', '2026-12-01 09:00'))"
    )

    result = _run_keep_po_dates(tmp_path, redate)

    assert po.read_text(encoding="utf-8") == PO
    assert "0 catalogue(s) changed" in result.stdout


def test_make_messages_keeps_a_catalogue_that_got_a_new_text(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(PO, encoding="utf-8")
    add = (
        f"import pathlib; p = pathlib.Path({str(po)!r}); "
        "p.write_text(p.read_text().replace('04:28', '09:00') + "
        '\'\\nmsgid "New"\\nmsgstr ""\\n\')'
    )

    result = _run_keep_po_dates(tmp_path, add)

    assert 'msgid "New"' in po.read_text(encoding="utf-8")
    assert "09:00" in po.read_text(encoding="utf-8")
    assert "1 catalogue(s) changed" in result.stdout
