from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from hmskort import files
from hmskort.api.urls import api
from hmskort.metrics import metrics_view
from hmskort.site import views as site_views

urlpatterns = [
    path("healthz", site_views.healthz, name="healthz"),
    path("readyz", site_views.readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("files/<str:token>", files.private_file, name="private_file"),
    path("favicon.ico", site_views.favicon, name="favicon"),
    path("api/v1/", api.urls),
    path("i18n/setlang/", set_language, name="set_language"),
    path("auth/", include("hmskort.accounts.auth_urls")),
]

urlpatterns += i18n_patterns(
    path("", include("hmskort.site.urls")),
    path("", include("hmskort.checks.urls")),
    path("", include("hmskort.accounts.urls")),
    path("", include("hmskort.portal.urls")),
    path("", include("hmskort.backoffice.urls")),
    path("admin/", admin.site.urls),
    prefix_default_language=False,
)
