from django.contrib import admin

from core.admin_actions import transition_action

from . import services
from .models import Milestone, Project


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0
    readonly_fields = ["state", "report_text", "reported_at"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["title", "registry", "granted_amount_nok", "state"]
    list_filter = ["state"]
    readonly_fields = ["state", "application", "agreement_accepted_at", "closed_at"]
    list_select_related = ["registry"]
    inlines = [MilestoneInline]
    actions = [transition_action("approve_final_report", services.approve_final_report)]
