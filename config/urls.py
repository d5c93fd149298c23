from django.contrib import admin
from django.urls import include, path

from .api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("me/", include("accounts.urls")),
    path("registries/", include("registries.urls")),
    path("reviews/", include("reviews.urls")),
    path("projects/", include("projects.urls")),
    path("finance/", include("finance.urls")),
    path("", include("grants.urls")),
    path("", include("core.urls")),
]
