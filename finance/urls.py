from django.urls import path

from . import views

app_name = "finance"
urlpatterns = [
    path("payments/", views.payment_list, name="payment_list"),
    path("payments/export.<str:fmt>", views.payment_export, name="payment_export"),
    path("payments/<int:pk>/transition/", views.payment_transition, name="payment_transition"),
    path("projects/<int:pk>/funds-returned/", views.funds_return, name="funds_return"),
]
