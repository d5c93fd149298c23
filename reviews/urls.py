from django.urls import path

from . import views

app_name = "reviews"
urlpatterns = [
    path("applications/<int:pk>/assign/", views.assign, name="assign"),
    path("applications/<int:pk>/conflict/", views.declare_conflict, name="declare_conflict"),
    path("applications/<int:pk>/review/", views.save_review, name="save_review"),
    path("calls/<int:pk>/ranking/", views.ranking, name="ranking"),
]
