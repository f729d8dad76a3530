"""The validity rules as a table: facts in, (valid, reasons) out."""

import dataclasses
import datetime as dt

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from hmskort.cards.models import CardState
from hmskort.cards.rules import (
    REASON_ORDER,
    REASONS,
    CardFacts,
    evaluate,
    reason_text,
    reason_title,
)

TODAY = dt.date(2026, 11, 29)

# A card that meets every requirement.
GOOD = CardFacts(
    today=TODAY,
    state="issued",
    expires_on=TODAY + dt.timedelta(days=300),
    national_id_valid=True,
    employment_reported=True,
    employment_active=True,
    brreg_read=True,
    registered_in_vat=True,
)


def with_(**changes):
    return dataclasses.replace(GOOD, **changes)


def test_a_card_that_meets_every_requirement_is_valid_with_no_reasons():
    assert evaluate(GOOD).valid is True
    assert evaluate(GOOD).reasons == ()


@pytest.mark.parametrize(
    ("facts", "reasons"),
    [
        # The card's lifecycle.
        (with_(state="ordered"), ("card_not_issued",)),
        (with_(state="awaiting_documents"), ("card_not_issued",)),
        (with_(state="awaiting_verification"), ("card_not_issued",)),
        (with_(state="approved"), ("card_not_issued",)),
        (with_(state="in_production"), ("card_not_issued",)),
        (with_(state="lost"), ("card_lost",)),
        (with_(state="stolen"), ("card_stolen",)),
        (with_(state="blocked"), ("card_blocked",)),
        (with_(state="terminated"), ("card_terminated",)),
        (with_(state="replaced"), ("card_replaced",)),
        (with_(state="rejected"), ("card_rejected",)),
        (with_(expires_on=TODAY), ("card_expired",)),
        (with_(expires_on=TODAY - dt.timedelta(days=1)), ("card_expired",)),
        # The company (Enhetsregisteret, VAT register, staffing, cleaning).
        (with_(brreg_read=False), ("company_not_found",)),
        (with_(brreg_removed=True), ("company_not_found",)),
        (with_(deleted_on=TODAY), ("company_deleted",)),
        (with_(bankrupt=True), ("company_bankrupt",)),
        (with_(under_forced_dissolution=True), ("company_forcibly_dissolved",)),
        (with_(registered_in_vat=False), ("not_in_vat_register",)),
        (with_(is_staffing_agency=True), ("staffing_not_approved",)),
        (with_(requires_cleaning_approval=True), ("cleaning_not_approved",)),
        # The worker.
        (with_(employment_reported=False, employment_active=False), ("employment_not_reported",)),
        (with_(employment_active=False), ("employment_ended",)),
        (with_(national_id_valid=False), ("national_id_invalid",)),
        (
            with_(requires_residence_permit=True, needs_residence_permit=True),
            ("residence_permit_missing",),
        ),
        (
            with_(
                requires_residence_permit=True,
                needs_residence_permit=True,
                residence_permit_until=TODAY - dt.timedelta(days=1),
            ),
            ("residence_permit_missing",),
        ),
    ],
)
def test_each_rule_makes_the_card_invalid_with_its_reason(facts, reasons):
    verdict = evaluate(facts)
    assert verdict.valid is False
    assert verdict.reasons == reasons


@pytest.mark.parametrize(
    "facts",
    [
        with_(expires_on=TODAY + dt.timedelta(days=1)),
        with_(deleted_on=TODAY + dt.timedelta(days=5)),
        with_(registered_in_vat=False, vat_exempt=True),
        with_(is_staffing_agency=True, staffing_approved=True),
        with_(requires_cleaning_approval=True, cleaning_approved=True),
        with_(requires_residence_permit=True, needs_residence_permit=False),
        with_(
            requires_residence_permit=True,
            needs_residence_permit=True,
            residence_permit_until=TODAY,
        ),
        # Residence permits matter only where the card type requires them.
        with_(needs_residence_permit=True),
        # An owner of an ENK/ANS/DA is not an employee: the role stands in.
        with_(employment_reported=False, employment_active=False, owner_role=True),
        with_(employment_active=False, owner_role=True),
    ],
)
def test_exemptions_and_approvals_keep_the_card_valid(facts):
    assert evaluate(facts) == evaluate(GOOD)


def test_several_failures_give_every_reason_lifecycle_first_then_company_then_worker():
    facts = with_(
        state="blocked",
        expires_on=TODAY,
        bankrupt=True,
        registered_in_vat=False,
        is_staffing_agency=True,
        requires_cleaning_approval=True,
        employment_active=False,
        national_id_valid=False,
    )
    assert evaluate(facts).reasons == (
        "card_blocked",
        "card_expired",
        "company_bankrupt",
        "not_in_vat_register",
        "staffing_not_approved",
        "cleaning_not_approved",
        "employment_ended",
        "national_id_invalid",
    )


def test_a_card_in_a_final_state_gives_only_its_lifecycle_reason():
    facts = with_(state="stolen", bankrupt=True, employment_active=False)
    assert evaluate(facts).reasons == ("card_stolen",)


def test_an_unknown_company_is_not_also_reported_as_missing_from_the_vat_register():
    assert evaluate(with_(brreg_read=False, registered_in_vat=False)).reasons == (
        "company_not_found",
    )


def test_every_reason_has_a_title_and_a_text_in_norwegian_and_english():
    for code in REASONS:
        with translation.override("en"):
            en_title, en_text = reason_title(code), reason_text(code)
        with translation.override("nb"):
            nb_title, nb_text = reason_title(code), reason_text(code)
        assert en_title and en_text and nb_title and nb_text
        assert nb_text != en_text, code
        assert nb_title != en_title or code == "card_expired", code


def test_the_vat_reason_tells_the_employer_what_to_do():
    with translation.override("en"):
        text = reason_text("not_in_vat_register")
    assert "VAT register" in text
    assert "exemption" in text


facts_strategy = st.builds(
    CardFacts,
    today=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 1, 1)),
    state=st.sampled_from([*CardState.values, "something_unknown"]),
    expires_on=st.none() | st.dates(),
    requires_cleaning_approval=st.booleans(),
    requires_residence_permit=st.booleans(),
    national_id_valid=st.booleans(),
    needs_residence_permit=st.booleans(),
    residence_permit_until=st.none() | st.dates(),
    employment_reported=st.booleans(),
    employment_active=st.booleans(),
    owner_role=st.booleans(),
    brreg_read=st.booleans(),
    brreg_removed=st.booleans(),
    deleted_on=st.none() | st.dates(),
    bankrupt=st.booleans(),
    under_forced_dissolution=st.booleans(),
    registered_in_vat=st.booleans(),
    vat_exempt=st.booleans(),
    is_staffing_agency=st.booleans(),
    staffing_approved=st.booleans(),
    cleaning_approved=st.booleans(),
)


@given(facts_strategy)
def test_the_rules_are_total_deterministic_and_valid_exactly_when_there_is_no_reason(facts):
    verdict = evaluate(facts)
    assert verdict == evaluate(facts)
    assert verdict.valid == (verdict.reasons == ())
    assert all(code in REASONS for code in verdict.reasons)
    assert len(set(verdict.reasons)) == len(verdict.reasons)
    assert list(verdict.reasons) == sorted(verdict.reasons, key=REASON_ORDER.__getitem__)


@given(facts_strategy)
def test_only_an_issued_card_can_be_valid(facts):
    if evaluate(facts).valid:
        assert facts.state == "issued"


def test_an_unknown_reason_code_is_shown_as_itself_rather_than_failing():
    from hmskort.cards.rules import reason_text, reason_title

    assert reason_title("a_reason_from_a_newer_version") == "a_reason_from_a_newer_version"
    assert reason_text("a_reason_from_a_newer_version") == "a_reason_from_a_newer_version"
    assert reason_title("employment_ended") != "employment_ended"


@given(facts_strategy)
def test_a_date_counts_only_by_being_before_on_or_after_today(facts):
    # The recompute evaluates each distinct set of facts once, with dates reduced to this.
    def side(date):
        if date is None:
            return None
        return facts.today + dt.timedelta(days=(date > facts.today) - (date < facts.today))

    reduced = dataclasses.replace(
        facts,
        expires_on=side(facts.expires_on),
        residence_permit_until=side(facts.residence_permit_until),
        deleted_on=side(facts.deleted_on),
    )
    assert evaluate(reduced) == evaluate(facts)
