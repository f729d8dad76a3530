"""Where each reason for an invalid card is put right: the register (or the issuer) and a link.

The words an employer reads about an invalid card, on the portal's pages and in the alert
e-mails alike (so both say the same): what is wrong and what to do are the validity rules' own
words (`rules.reason_title`, `reason_text`), where is the register below. Kept in `cards` (a
domain app) so the alerts app can use it without importing the portal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .rules import reason_text, reason_title


@dataclass(frozen=True)
class Where:
    name: str | Promise
    url: str


BRREG = Where(_("Enhetsregisteret (the Brønnøysund Register Centre)"), "https://www.brreg.no/")
VAT = Where(
    _("The VAT register (the Tax Administration)"),
    "https://www.skatteetaten.no/bedrift-og-organisasjon/avgifter/mva/",
)
STAFFING = Where(
    _("The register of staffing agencies (Arbeidstilsynet)"),
    "https://www.arbeidstilsynet.no/registre/bemanningsforetak/",
)
CLEANING = Where(
    _("The cleaning register (Arbeidstilsynet)"),
    "https://www.arbeidstilsynet.no/registre/renholdsregisteret/",
)
AAREG = Where(
    _("Aa-registeret, through the a-melding"),
    "https://www.skatteetaten.no/bedrift-og-organisasjon/arbeidsgiver/a-meldingen/",
)
FOLKEREG = Where(
    _("Folkeregisteret (the Tax Administration)"),
    "https://www.skatteetaten.no/person/folkeregister/",
)
UDI = Where(_("The Directorate of Immigration (UDI)"), "https://www.udi.no/")

WHERE: dict[str, Where] = {
    "company_not_found": BRREG,
    "company_deleted": BRREG,
    "company_bankrupt": BRREG,
    "company_forcibly_dissolved": BRREG,
    "not_in_vat_register": VAT,
    "staffing_not_approved": STAFFING,
    "cleaning_not_approved": CLEANING,
    "employment_not_reported": AAREG,
    "employment_ended": AAREG,
    "national_id_invalid": FOLKEREG,
    "residence_permit_missing": UDI,
}


def explain(code: str) -> dict[str, Any]:
    """What is wrong, what to do, and where (None for the card's own lifecycle)."""
    return {
        "code": code,
        "title": reason_title(code),
        "text": reason_text(code),
        "where": WHERE.get(code),
    }
