from django.urls import path

from . import agreement_views, change_views, progress_views, views

app_name = "projects"
urlpatterns = [
    path("", views.project_list, name="project_list"),
    path("export.<str:fmt>", views.project_export, name="project_export"),
    path("portfolio/", views.portfolio, name="portfolio"),
    path("<int:pk>/", views.project_detail, name="project_detail"),
    path("<int:pk>/transition/", views.project_transition, name="project_transition"),
    path("<int:pk>/final-report/", views.final_report_edit, name="final_report_edit"),
    path("<int:pk>/final-report/pdf/", views.final_report_pdf, name="final_report_pdf"),
    path("<int:pk>/indicators/<str:indicator_id>/chart.svg", views.indicator_chart, name="indicator_chart"),
    path("<int:pk>/milestones/<int:mid>/report/", views.milestone_report, name="milestone_report"),
    path("<int:pk>/milestones/<int:mid>/transition/", views.milestone_transition, name="milestone_transition"),
    path("<int:pk>/agreement.pdf", agreement_views.agreement_pdf, name="agreement_pdf"),
    path("<int:pk>/agreement/signed.pdf", agreement_views.signed_agreement_pdf, name="signed_agreement_pdf"),
    path("<int:pk>/agreement/accept/", agreement_views.agreement_accept, name="agreement_accept"),
    path("<int:pk>/agreement/upload/", agreement_views.agreement_upload, name="agreement_upload"),
    path("<int:pk>/progress-reports/<int:rid>/", progress_views.progress_report, name="progress_report"),
    path(
        "<int:pk>/progress-reports/<int:rid>/transition/",
        progress_views.progress_report_transition,
        name="progress_report_transition",
    ),
    path("<int:pk>/changes/new/<str:kind>/", change_views.change_request_new, name="change_request_new"),
    path(
        "<int:pk>/changes/<int:cid>/transition/",
        change_views.change_request_transition,
        name="change_request_transition",
    ),
]
