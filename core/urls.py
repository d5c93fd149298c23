from django.urls import path
from django.views.generic import RedirectView

from . import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("favicon.ico", RedirectView.as_view(url="/static/favicon.svg", permanent=True)),
]
