from django.urls import path

from . import views

app_name = "calendar"
urlpatterns = [
    path("calendar/<str:token>.ics", views.calendar_feed, name="feed"),
]
