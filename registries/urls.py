from django.urls import path

from . import import_views, views

app_name = "registries"
urlpatterns = [
    path("", views.registry_list, name="registry_list"),
    path("<int:pk>/", views.registry_detail, name="registry_detail"),
    path("indicators/<str:pk>/", views.indicator_detail, name="indicator_detail"),
    path("imports/", import_views.import_list, name="import_list"),
    path("imports/new/", import_views.import_new, name="import_new"),
    path("imports/<int:pk>/", import_views.import_detail, name="import_detail"),
    path("imports/<int:pk>/status/", import_views.import_status, name="import_status"),
]
