from django.contrib import admin

from .models import Assignment, Conflict, ExpertGroup, ExpertGroupMember


class MemberInline(admin.TabularInline):
    model = ExpertGroupMember
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(ExpertGroup)
class ExpertGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "scheme"]
    inlines = [MemberInline]


@admin.register(Conflict)
class ConflictAdmin(admin.ModelAdmin):
    list_display = ["application", "reviewer", "source", "declared_at", "waived_at"]
    readonly_fields = ["application", "reviewer", "source", "reason", "declared_at"]


admin.site.register(Assignment)
