from django.contrib import admin

from core.admin_actions import transition_action

from . import services
from .models import BudgetLine, Payment


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["project", "amount_nok", "trigger", "state", "paid_at"]
    list_filter = ["state", "trigger"]
    readonly_fields = ["state", "paid_at"]
    list_select_related = ["project"]
    actions = [transition_action(n, s) for n, s in services.PAYMENT_ACTIONS.items()]


@admin.register(BudgetLine)
class BudgetLineAdmin(admin.ModelAdmin):
    list_display = ["application", "year", "category", "amount_nok"]
    list_select_related = ["application"]
