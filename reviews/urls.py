from django.urls import path

from . import ranking_views, views

app_name = "reviews"
urlpatterns = [
    path("applications/<int:pk>/assign/", views.assign, name="assign"),
    path("applications/<int:pk>/conflict/", views.declare_conflict, name="declare_conflict"),
    path("applications/<int:pk>/review/", views.save_review, name="save_review"),
    path("calls/<int:pk>/ranking/", ranking_views.ranking, name="ranking"),
]
