from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from .api import api

# The admin logs in through allauth, so it gets the same rate limits, email verification and MFA.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]
admin.site.site_header = "Registry Grants"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("me/", include("accounts.urls")),
    path("", include("accounts.calendar_urls")),
    path("registries/", include("registries.urls")),
    path("reviews/", include("reviews.urls")),
    path("reviews/", include("reviews.recommendation_urls")),
    path("reviews/", include("reviews.consensus_urls")),
    path("projects/", include("projects.urls")),
    path("finance/", include("finance.urls")),
    path("audit/", include("audit.urls")),
    path("", include("grants.urls")),
    path("", include("grants.decision_urls")),
    path("", include("core.urls")),
]
