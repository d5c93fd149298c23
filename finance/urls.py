from django.urls import path

from . import annual_views, views

app_name = "finance"
urlpatterns = [
    path("payments/", views.payment_list, name="payment_list"),
    path("payments/export.<str:fmt>", views.payment_export, name="payment_export"),
    path("payments/<int:pk>/transition/", views.payment_transition, name="payment_transition"),
    path("annual/", annual_views.annual_summary, name="annual_summary"),
    path("annual/files/", annual_views.annual_summary_request, name="annual_summary_request"),
    path("annual/files/<int:pk>/", annual_views.annual_summary_file, name="annual_summary_file"),
    path("annual/files/<int:pk>/download/", annual_views.annual_summary_download, name="annual_summary_download"),
    path("projects/<int:pk>/funds-returned/", views.funds_return, name="funds_return"),
]
