"""The reasons for an invalid card in plain words: moved to `hmskort.cards.reasons` so the alert
e-mails (a domain app) and the portal's pages share one wording. Imported from here by the
portal's pages, as before."""

from hmskort.cards.reasons import BRREG, WHERE, Where, explain

__all__ = ["BRREG", "WHERE", "Where", "explain"]
