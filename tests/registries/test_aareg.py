import datetime as dt

import pytest
from django.core.management import call_command

from hmskort.people.models import Employment
from hmskort.registries import aareg
from hmskort.registries.models import RegistryRun
from tests.factories import (
    CompanyFactory,
    EmploymentFactory,
    PersonFactory,
    SubUnitFactory,
    national_id_for,
    orgnr_for,
)

pytestmark = pytest.mark.django_db


def write_csv(tmp_path, lines, name="aareg.csv"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_employments_are_recorded_under_the_employer_s_main_unit(tmp_path):
    branch = SubUnitFactory()
    person = PersonFactory()
    path = write_csv(
        tmp_path,
        [
            "organisasjonsnummer;fodselsnummer;fra;til",
            f"{branch.orgnr};{person.national_id};01.02.2024;",
        ],
    )
    run = aareg.import_employments(aareg.CsvEmploymentFile(path))
    assert run.status == RegistryRun.Status.OK
    employment = Employment.objects.get(person=person)
    assert employment.employer == branch
    assert employment.main_unit == branch.parent
    assert employment.source == Employment.Source.AAREG
    assert employment.starts_on == dt.date(2024, 2, 1)
    assert employment.ends_on is None


def test_an_ended_employment_is_recorded_with_its_end(tmp_path):
    employment = EmploymentFactory()
    path = write_csv(
        tmp_path,
        [
            f"{employment.employer.orgnr},{employment.person.national_id},"
            f"{employment.starts_on.isoformat()},2026-10-31"
        ],
    )
    run = aareg.import_employments(aareg.CsvEmploymentFile(path))
    assert run.status == RegistryRun.Status.OK
    employment.refresh_from_db()
    assert employment.ends_on == dt.date(2026, 10, 31)


def test_a_malformed_line_fails_the_file_naming_the_line_but_not_the_person(tmp_path):
    company, person = CompanyFactory(), PersonFactory()
    path = write_csv(
        tmp_path,
        [
            f"{company.orgnr},{person.national_id},2024-01-01,",
            f"{company.orgnr},99{person.national_id[2:]},2024-01-01,",
            f"{company.orgnr},{person.national_id},not a date,",
        ],
    )
    run = aareg.import_employments(aareg.CsvEmploymentFile(path))
    assert run.status == RegistryRun.Status.FAILED
    assert "2 malformed lines: 2, 3" in run.message
    assert person.national_id not in run.message
    assert not Employment.objects.exists()


def test_rows_of_unknown_persons_and_companies_are_skipped_and_counted(tmp_path):
    company, person = CompanyFactory(), PersonFactory()
    stranger = national_id_for(dt.date(1985, 3, 3), 7)
    path = write_csv(
        tmp_path,
        [
            f"{company.orgnr},{stranger},2024-01-01,",
            f"{orgnr_for(999)},{person.national_id},2024-01-01,",
        ],
    )
    run = aareg.import_employments(aareg.CsvEmploymentFile(path))
    assert run.status == RegistryRun.Status.OK
    assert "skipped 1 rows of unknown persons and 1 of unknown companies" in run.message
    assert not Employment.objects.exists()


def test_foreign_assignments_are_imported_with_their_own_source(tmp_path):
    company, person = CompanyFactory(is_foreign=True), PersonFactory()
    path = write_csv(tmp_path, [f"{company.orgnr},{person.national_id},2025-06-01,2027-06-01"])
    call_command("registries", "import", "oar", str(path))
    assert Employment.objects.get().source == Employment.Source.FOREIGN
    assert RegistryRun.objects.get().source == RegistryRun.Source.OAR
