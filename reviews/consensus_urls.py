from django.urls import path

from . import consensus_views

app_name = "consensus"
urlpatterns = [
    path("applications/<int:pk>/consensus/", consensus_views.edit, name="edit"),
]
