from django.urls import path

from . import recommendation_views as views

app_name = "recommendations"
urlpatterns = [
    path("calls/<int:pk>/recommendation/", views.detail, name="detail"),
    path("calls/<int:pk>/recommendation/send/", views.send, name="send"),
    path("recommendations/<int:pk>/pdf/", views.pdf, name="pdf"),
]
