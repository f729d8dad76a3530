from django.core.files.base import ContentFile
from django.core.files.storage import storages


def test_private_files_are_stored_under_var_private_and_no_url_serves_them(client, settings):
    storage = storages["private"]
    name = storage.save("photos/portrait.jpg", ContentFile(b"\xff\xd8 not really a jpeg"))
    try:
        assert storage.exists(name)
        assert str(storage.path(name)).startswith(str(settings.PRIVATE_MEDIA_ROOT))
        for url in (f"/media/{name}", f"/private/{name}", f"/static/{name}", f"/{name}"):
            assert client.get(url).status_code == 404
    finally:
        storage.delete(name)
