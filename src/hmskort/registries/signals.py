"""What the registers announce to the apps above them.

`register_facts_changed` is sent inside the transaction that applied a register run whose
facts moved for some units. Keyword arguments: `orgnrs` (the units, main units or sub-units),
`cause` (e.g. "registry:brreg") and `units_only` (True when the run moved only the units' own
facts, nothing about people or employments: Enhetsregisteret, the cleaning and staffing
registers; False for Aa-registeret and the register of foreign assignments). Receivers must be quick (collect and queue work on commit,
never do it inline). This app does not know who listens.
"""

from django.dispatch import Signal

register_facts_changed = Signal()
