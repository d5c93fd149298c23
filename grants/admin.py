from django.contrib import admin

from core.admin_actions import transition_action

from . import services
from .models import Application, Call, CallCriterion, Scheme, SchemeCriterion

NO_ARG_APPLICATION_ACTIONS = ["send_to_review", "complete_assessment", "reject"]


class SchemeCriterionInline(admin.TabularInline):
    model = SchemeCriterion
    extra = 0


@admin.register(Scheme)
class SchemeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "decision_body", "is_active"]
    inlines = [SchemeCriterionInline]


class CallCriterionInline(admin.TabularInline):
    model = CallCriterion
    extra = 0


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = ["title", "scheme", "year", "budget_nok", "closes_at", "state"]
    list_filter = ["state", "scheme", "year"]
    readonly_fields = ["state"]
    inlines = [CallCriterionInline]
    actions = [transition_action(n, s) for n, s in services.CALL_ACTIONS.items()]


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ["title", "registry", "call", "requested_amount_nok", "granted_amount_nok", "state"]
    list_filter = ["state", "call"]
    search_fields = ["title", "registry__name", "registry__short_name"]
    readonly_fields = ["state", "submitted_at", "decided_at", "granted_amount_nok", "proposed_amount_nok", "draft_data"]
    list_select_related = ["registry", "call"]
    actions = [transition_action(n, services.APPLICATION_ACTIONS[n]) for n in NO_ARG_APPLICATION_ACTIONS]
