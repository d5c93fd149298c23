from django.urls import path

from . import ranking_views, views

app_name = "reviews"
urlpatterns = [
    path("applications/<int:pk>/assign/", views.assign, name="assign"),
    path("applications/<int:pk>/conflict/", views.declare_conflict, name="declare_conflict"),
    path("applications/<int:pk>/conflicts/<int:user_pk>/waive/", views.waive_conflict, name="waive_conflict"),
    path("applications/<int:pk>/conflicts/<int:user_pk>/revoke-waiver/", views.revoke_waiver, name="revoke_waiver"),
    path("applications/<int:pk>/review/", views.save_review, name="save_review"),
    path("applications/<int:pk>/review/autosave/", views.autosave_review, name="autosave_review"),
    path("applications/<int:pk>/reviews/<int:user_pk>/reopen/", views.reopen_review, name="reopen_review"),
    path("applications/<int:pk>/comments/", views.post_comment, name="post_comment"),
    path("calls/<int:pk>/", views.call_review, name="call_review"),
    path("calls/<int:pk>/phase/", views.round_transition, name="round_transition"),
    path("calls/<int:pk>/deadline/", views.round_deadline, name="round_deadline"),
    path("calls/<int:pk>/assign/", views.assign_call, name="assign_call"),
    path("calls/<int:pk>/ranking/", ranking_views.ranking, name="ranking"),
    path("groups/", views.group_list, name="group_list"),
    path("groups/<int:scheme_pk>/", views.group_detail, name="group_detail"),
    path("groups/<int:scheme_pk>/members/", views.group_add, name="group_add"),
    path("groups/<int:scheme_pk>/remove/", views.group_remove, name="group_remove"),
    path("groups/<int:scheme_pk>/chair/", views.group_chair, name="group_chair"),
]
