"""What companies announce to the apps above them.

`company_facts_changed` is sent inside the transaction that changed a company fact the card
rules read (organisation form, main unit, staffing agency, VAT exemption) or an owner role
(INNH, DTPR, DTSO) of a company. Keyword arguments: `company_ids` (main units or sub-units) and
`cause` (a short text recorded with any change it leads to). Receivers must be quick (collect
and queue work on commit, never do it inline). This app does not know who listens.
"""

from django.dispatch import Signal

company_facts_changed = Signal()
