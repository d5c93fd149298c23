from django.urls import path

from . import views

app_name = "registries"
urlpatterns = [
    path("", views.registry_list, name="registry_list"),
    path("<int:pk>/", views.registry_detail, name="registry_detail"),
]
