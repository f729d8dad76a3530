"""Staff create and revoke API keys in the admin; the key is shown once and stored hashed."""

import re

import pytest

from hmskort.integrations.models import ApiKey
from hmskort.integrations.services import hash_key

pytestmark = pytest.mark.django_db


def test_staff_create_a_key_see_it_once_and_revoke_it(admin_client):
    response = admin_client.post(
        "/en/admin/integrations/apikey/add/",
        {"name": "SmartCrew AS", "contact_email": "", "rate_per_minute": 100, "daily_quota": 5000},
        follow=True,
    )
    assert response.status_code == 200
    html = response.content.decode()
    shown = re.search(r"(hmsk_[A-Za-z0-9_-]{40,})", html).group(1)
    key = ApiKey.objects.get(name="SmartCrew AS")
    assert key.key_hash == hash_key(shown)
    assert key.rate_per_minute == 100
    # Never again: the change page does not hold the key.
    assert (
        shown
        not in admin_client.get(f"/en/admin/integrations/apikey/{key.pk}/change/").content.decode()
    )

    admin_client.post(
        "/en/admin/integrations/apikey/",
        {"action": "revoke", "_selected_action": [key.pk]},
    )
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_the_delivery_log_is_read_only_for_staff(admin_client):
    response = admin_client.get("/en/admin/integrations/webhookdelivery/")
    assert response.status_code == 200
    assert admin_client.get("/en/admin/integrations/webhookdelivery/add/").status_code == 403
