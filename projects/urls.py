from django.urls import path

from . import views

app_name = "projects"
urlpatterns = [
    path("", views.project_list, name="project_list"),
    path("portfolio/", views.portfolio, name="portfolio"),
    path("<int:pk>/", views.project_detail, name="project_detail"),
    path("<int:pk>/transition/", views.project_transition, name="project_transition"),
    path("<int:pk>/final-report/", views.final_report_edit, name="final_report_edit"),
    path("<int:pk>/final-report/pdf/", views.final_report_pdf, name="final_report_pdf"),
    path("<int:pk>/indicators/<str:indicator_id>/chart.svg", views.indicator_chart, name="indicator_chart"),
    path("<int:pk>/milestones/<int:mid>/report/", views.milestone_report, name="milestone_report"),
    path("<int:pk>/milestones/<int:mid>/transition/", views.milestone_transition, name="milestone_transition"),
]
