from django.contrib import admin

from .models import Indicator, Membership, Organisation, Registry, RegistryYear


class RegistryYearInline(admin.TabularInline):
    model = RegistryYear
    extra = 0


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Registry)
class RegistryAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "region", "established_year"]
    list_filter = ["region"]
    search_fields = ["name", "short_name"]
    inlines = [RegistryYearInline, MembershipInline]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["orgnr", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["name", "orgnr"]


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "registry", "direction", "level_green", "level_yellow"]
    search_fields = ["id", "title"]
    list_filter = ["registry"]
