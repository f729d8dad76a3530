from django.conf import settings


def site(request):
    return {
        "issuer_name": settings.HMSKORT_ISSUER_NAME,
        "test_login_enabled": settings.HMSKORT_TEST_LOGIN,
    }
