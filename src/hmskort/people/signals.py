"""What people announce to the apps above them.

`person_facts_changed` is sent inside the transaction that changed a fact about persons the
card rules read (an employment, a residence permit, whether Folkeregisteret accepts the
number). Keyword arguments: `person_ids` and `cause` (a short text recorded with any change it
leads to). Receivers must be quick (collect and queue work on commit, never do it inline). This
app does not know who listens.
"""

from django.dispatch import Signal

person_facts_changed = Signal()
