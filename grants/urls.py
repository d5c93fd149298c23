from django.urls import path

from . import statistics_views, views

app_name = "grants"
urlpatterns = [
    path("schemes/", views.scheme_list, name="scheme_list"),
    path("schemes/new/", views.scheme_edit, name="scheme_create"),
    path("schemes/<int:pk>/", views.scheme_edit, name="scheme_edit"),
    path("calls/", views.call_list, name="call_list"),
    path("calls/new/", views.call_create, name="call_create"),
    path("calls/<int:pk>/", views.call_detail, name="call_detail"),
    path("calls/<int:pk>/edit/", views.call_edit, name="call_edit"),
    path("calls/<int:pk>/transition/", views.call_transition, name="call_transition"),
    path("calls/<int:call_pk>/apply/", views.application_new, name="application_new"),
    path("applications/", views.application_list, name="application_list"),
    path("applications/export.<str:fmt>", views.application_export, name="application_export"),
    path("applications/<int:pk>/", views.application_detail, name="application_detail"),
    path("applications/<int:pk>/edit/", views.application_edit, name="application_edit"),
    path("applications/<int:pk>/autosave/", views.application_autosave, name="application_autosave"),
    path("applications/<int:pk>/baseline/", views.indicator_baseline, name="indicator_baseline"),
    path("applications/<int:pk>/transition/", views.application_transition, name="application_transition"),
    path("statistics/", statistics_views.statistics, name="statistics"),
    path("statistics/<slug:name>.svg", statistics_views.statistics_chart, name="statistics_chart"),
]
