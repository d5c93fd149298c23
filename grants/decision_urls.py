from django.urls import path

from . import decision_views as views

app_name = "decisions"
urlpatterns = [
    path("calls/<int:pk>/decision-meeting/", views.meeting, name="meeting"),
    path("decision-meetings/<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("applications/<int:pk>/letter/", views.letter_pdf, name="letter_pdf"),
]
