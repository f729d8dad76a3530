"""The validity rules: facts in, (valid, reasons) out. Pure: no database, no clock, no settings.

Every rule of DOMAIN.md "Validity" has a stable lowercase reason code. Codes are contracts:
the API, webhooks, status history and the employer's pages show them, so never rename one.
`reason_title(code)` is a short label; `reason_text(code)` tells the employer what is wrong and
what to do about it. Both are translated lazily (nb and en).

Reasons come in a fixed order: the card's own lifecycle first, then the company's registration
duties, then the worker's.

Dates in the facts are only ever compared with `today`: a date counts only by being before, on
or after it. The recompute relies on this (it evaluates each distinct set of facts once, dates
reduced to that), and a test checks it; a rule that needs more of a date must change both.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# Lifecycle states (kept as plain strings so this module needs no model import; equal to the
# values of `CardState`). PRE_ISSUE_STATES is defined here only: the lifecycle imports it.
ISSUED = "issued"
BLOCKED = "blocked"
PRE_ISSUE_STATES = frozenset(
    {"ordered", "awaiting_documents", "awaiting_verification", "approved", "in_production"}
)
# Final states: the card can never become valid again; no other fact matters.
FINAL_STATE_REASONS = {
    "lost": "card_lost",
    "stolen": "card_stolen",
    "terminated": "card_terminated",
    "replaced": "card_replaced",
    "rejected": "card_rejected",
}


@dataclass(frozen=True)
class Reason:
    code: str
    group: str  # "card", "company" or "worker"
    title: Promise
    text: Promise


_REASON_LIST: tuple[Reason, ...] = (
    # --- The card itself -----------------------------------------------------------------
    Reason(
        "card_not_issued",
        "card",
        _("Not issued yet"),
        _(
            "The card has been ordered but not issued yet. Until it arrives, the worker may "
            "work if they can show that a card has been ordered."
        ),
    ),
    Reason(
        "card_lost",
        "card",
        _("Reported lost"),
        _("The card has been reported lost and can no longer be used. Order a new card."),
    ),
    Reason(
        "card_stolen",
        "card",
        _("Reported stolen"),
        _("The card has been reported stolen and can no longer be used. Order a new card."),
    ),
    Reason(
        "card_blocked",
        "card",
        _("Blocked"),
        _(
            "The card has been blocked, for example because the employment ended or at the "
            "employer's request. Destroy the card, or ask the issuer to lift the block if it "
            "was a mistake."
        ),
    ),
    Reason(
        "card_terminated",
        "card",
        _("Terminated"),
        _("The card has been terminated and can no longer be used. Order a new card if needed."),
    ),
    Reason(
        "card_replaced",
        "card",
        _("Replaced"),
        _("The card has been replaced by a newer card. Use the new card and destroy this one."),
    ),
    Reason(
        "card_rejected",
        "card",
        _("Order rejected"),
        _(
            "The issuer rejected the order, for example because the photo or the identity "
            "document could not be accepted. Place a new order with correct documents."
        ),
    ),
    Reason(
        "card_expired",
        "card",
        _("Expired"),
        _("The card is more than two years old and has expired. Order a renewal."),
    ),
    # --- The company's registration duties ------------------------------------------------
    Reason(
        "company_not_found",
        "company",
        _("Company not found in Enhetsregisteret"),
        _(
            "The company on the card was not found in Enhetsregisteret (the Central "
            "Coordinating Register for Legal Entities). Check the organisation number, or "
            "register the company in Brønnøysundregistrene."
        ),
    ),
    Reason(
        "company_deleted",
        "company",
        _("Company deleted"),
        _(
            "The company has been deleted from Enhetsregisteret. Cards for a deleted company "
            "are not valid; the workers' new employer must order new cards."
        ),
    ),
    Reason(
        "company_bankrupt",
        "company",
        _("Company bankrupt"),
        _(
            "Enhetsregisteret records the company as bankrupt. The card is valid again when "
            "the bankruptcy is lifted in the register."
        ),
    ),
    Reason(
        "company_forcibly_dissolved",
        "company",
        _("Company under forced dissolution"),
        _(
            "Enhetsregisteret records the company as under compulsory liquidation or forced "
            "dissolution. Correct the matter with Brønnøysundregistrene; the card turns valid "
            "again when the register no longer shows it."
        ),
    ),
    Reason(
        "not_in_vat_register",
        "company",
        _("Not in the VAT register"),
        _(
            "The company is not registered in the VAT register (Merverdiavgiftsregisteret). "
            "Register the company, or, if it is exempt, ask the issuer to record the exemption."
        ),
    ),
    Reason(
        "staffing_not_approved",
        "company",
        _("Staffing agency not approved"),
        _(
            "The company is a staffing agency and is not approved in the Labour Inspection "
            "Authority's register of staffing agencies. Apply for approval, or renew it; "
            "approval must be renewed every year."
        ),
    ),
    Reason(
        "cleaning_not_approved",
        "company",
        _("Cleaning company not approved"),
        _(
            "Cleaning cards require the company to be approved in the register of cleaning "
            "companies (Renholdsregisteret). Apply to the Labour Inspection Authority for "
            "approval; the card turns valid when the approval is registered."
        ),
    ),
    # --- The worker ---------------------------------------------------------------------
    Reason(
        "employment_not_reported",
        "worker",
        _("Employment not reported"),
        _(
            "The worker's employment with the company is not reported to Aa-registeret (or, for "
            "foreign employers, to the Tax Administration's register of assignments). Report "
            "the employment; the card turns valid when the register shows it."
        ),
    ),
    Reason(
        "employment_ended",
        "worker",
        _("Employment ended"),
        _(
            "The worker's employment with the company has ended according to the register. "
            "Block and destroy the card; a new employer orders a new card. If the employment "
            "continues, correct the report to Aa-registeret."
        ),
    ),
    Reason(
        "national_id_invalid",
        "worker",
        _("National ID number not valid"),
        _(
            "The worker's national ID number or D-number is not valid in the National "
            "Population Register. Check the number and order a new card with the correct one."
        ),
    ),
    Reason(
        "residence_permit_missing",
        "worker",
        _("Residence permit missing"),
        _(
            "The worker comes from outside the EEA and has no valid residence permit recorded, "
            "which this job requires. Send the issuer a copy of a valid residence permit."
        ),
    ),
)

REASONS: dict[str, Reason] = {reason.code: reason for reason in _REASON_LIST}
# The order reasons are reported in: lifecycle, then company duties, then worker.
REASON_ORDER: dict[str, int] = {reason.code: i for i, reason in enumerate(_REASON_LIST)}


def reason_title(code: str) -> str:
    reason = REASONS.get(code)
    return str(reason.title) if reason else code


def reason_text(code: str) -> str:
    reason = REASONS.get(code)
    return str(reason.text) if reason else code


@dataclass(frozen=True)
class CardFacts:
    """Everything the rules need to know about one card, gathered by the recompute."""

    today: dt.date
    state: str
    expires_on: dt.date | None = None
    # The card type's requirements.
    requires_cleaning_approval: bool = False
    requires_residence_permit: bool = False
    # The holder (Folkeregisteret, residence permit).
    national_id_valid: bool = True
    needs_residence_permit: bool = False
    residence_permit_until: dt.date | None = None
    # Employment with the company on the card (Aa-registeret or the foreign register), or
    # for ENK/ANS/DA a role in Enhetsregisteret that stands in for one.
    employment_reported: bool = False  # any employment with this main unit, ever
    employment_active: bool = False  # an employment in force today
    owner_role: bool = False  # owner or partner of an ENK/ANS/DA company
    # The company (main unit) as last read from Enhetsregisteret.
    brreg_read: bool = False  # has the register ever been read for this unit?
    brreg_removed: bool = False
    deleted_on: dt.date | None = None
    bankrupt: bool = False
    under_forced_dissolution: bool = False
    registered_in_vat: bool = False
    vat_exempt: bool = False
    # Staffing agencies (Bemanningsforetaksregisteret) and cleaning (Renholdsregisteret).
    is_staffing_agency: bool = False
    staffing_approved: bool = False
    cleaning_approved: bool = False


@dataclass(frozen=True)
class Verdict:
    valid: bool
    reasons: tuple[str, ...]


def evaluate(facts: CardFacts) -> Verdict:
    """Apply every rule; return whether the card is valid and, if not, why (ordered codes)."""
    final = FINAL_STATE_REASONS.get(facts.state)
    if final is not None:
        return Verdict(False, (final,))

    reasons: list[str] = []
    # The card's lifecycle.
    if facts.state == BLOCKED:
        reasons.append("card_blocked")
    elif facts.state != ISSUED:
        # Pre-issue states, and any state this module does not know, are not valid.
        reasons.append("card_not_issued")
    if (
        facts.state in (ISSUED, BLOCKED)
        and facts.expires_on is not None
        and facts.today >= facts.expires_on
    ):
        reasons.append("card_expired")

    # The company's duties (Enhetsregisteret, VAT register, staffing, cleaning).
    if not facts.brreg_read or facts.brreg_removed:
        reasons.append("company_not_found")
    else:
        if facts.deleted_on is not None and facts.deleted_on <= facts.today:
            reasons.append("company_deleted")
        if facts.bankrupt:
            reasons.append("company_bankrupt")
        if facts.under_forced_dissolution:
            reasons.append("company_forcibly_dissolved")
        if not facts.registered_in_vat and not facts.vat_exempt:
            reasons.append("not_in_vat_register")
    if facts.is_staffing_agency and not facts.staffing_approved:
        reasons.append("staffing_not_approved")
    if facts.requires_cleaning_approval and not facts.cleaning_approved:
        reasons.append("cleaning_not_approved")

    # The worker's duties (Aa-registeret, Folkeregisteret, residence permit).
    if not facts.owner_role:
        if not facts.employment_reported:
            reasons.append("employment_not_reported")
        elif not facts.employment_active:
            reasons.append("employment_ended")
    if not facts.national_id_valid:
        reasons.append("national_id_invalid")
    if (
        facts.requires_residence_permit
        and facts.needs_residence_permit
        and (facts.residence_permit_until is None or facts.residence_permit_until < facts.today)
    ):
        reasons.append("residence_permit_missing")

    return Verdict(not reasons, tuple(reasons))
