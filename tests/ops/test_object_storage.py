"""Private files on S3 (django-storages) against moto's S3 server started here, and the
file-system default's signed links for staff."""

import time
import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import storages

from hmskort.files import signed_url

BUCKET = "hmskort-private-test"
REGION = "eu-north-1"


@pytest.fixture(scope="module")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def _s3_options(endpoint: str, bucket: str = BUCKET) -> dict:
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "location": "private",
            "endpoint_url": endpoint,
            "region_name": REGION,
            "access_key": "test-key",
            "secret_key": "test-secret",
            "addressing_style": "path",
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": 300,
            "file_overwrite": False,
            "signature_version": "s3v4",
        },
    }


@pytest.fixture
def s3_private(settings, s3_endpoint):
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name=REGION,
        aws_access_key_id="test-key",
        aws_secret_access_key="test-secret",
    )
    if BUCKET not in [b["Name"] for b in client.list_buckets()["Buckets"]]:
        client.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
    settings.STORAGES = {**settings.STORAGES, "private": _s3_options(s3_endpoint)}
    settings.HMSKORT_PRIVATE_URL_SECONDS = 120
    return client, s3_endpoint


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


def test_a_private_file_goes_to_the_bucket_as_a_private_object(s3_private):
    client, endpoint = s3_private
    name = storages["private"].save("photos/portrait.jpg", ContentFile(b"jpeg bytes"))
    key = f"private/{name}"
    assert client.get_object(Bucket=BUCKET, Key=key)["Body"].read() == b"jpeg bytes"
    grants = client.get_object_acl(Bucket=BUCKET, Key=key)["Grants"]
    assert all("URI" not in grant["Grantee"] for grant in grants), "no group (AllUsers) grant"
    # Without a signature the object is refused.
    assert _get(f"{endpoint}/{BUCKET}/{key}")[0] == 403


def test_staff_get_a_signed_url_that_works_and_expires_in_minutes(s3_private):
    name = storages["private"].save("id-documents/passport.png", ContentFile(b"png bytes"))
    url = signed_url(name)
    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Expires"] == ["120"]
    assert "X-Amz-Signature" in query
    assert _get(url) == (200, b"png bytes")
    tampered = url.replace("passport.png", "other.png")
    assert _get(tampered)[0] in {403, 404}


@pytest.mark.django_db(databases="__all__")
def test_readyz_checks_the_bucket(client, s3_private, settings):
    assert client.get("/readyz").json()["storage"] == "ok"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": _s3_options(s3_private[1], bucket="no-such-bucket-here"),
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["storage"]


@pytest.mark.django_db
def test_on_the_file_system_a_signed_link_serves_staff_only_and_only_for_a_while(
    client, django_user_model, settings
):
    settings.HMSKORT_PRIVATE_URL_SECONDS = 300
    storage = storages["private"]
    name = storage.save("photos/staff-only.jpg", ContentFile(b"photo"))
    try:
        url = signed_url(name)
        assert client.get(url).status_code == 404  # anonymous
        user = django_user_model.objects.create_user("clerk", password="x" * 16)
        client.force_login(user)
        assert client.get(url).status_code == 404  # logged in, not staff
        user.is_staff = True
        user.save()
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == b"photo"
        assert "no-store" in response["Cache-Control"]
        assert client.get(url[:-3] + "abc").status_code == 404  # tampered token
        with time_machine.travel(time.time() + 301, tick=False):
            assert client.get(url).status_code == 404  # expired
    finally:
        storage.delete(name)
