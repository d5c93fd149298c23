"""Forms own all user input and return real types; services own the business rules."""

import json
from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import MinValueValidator
from django.utils.translation import gettext_lazy as _

from registries.enums import Level, TargetKind, TargetRule
from registries.models import Indicator, Organisation, Registry

from .enums import BudgetCategory
from .models import Application, Call, Scheme

MONEY = {"max_digits": 12, "decimal_places": 2, "localize": True}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class CallForm(forms.ModelForm):
    class Meta:
        model = Call
        fields = ["scheme", "title", "description", "year", "budget_nok", "max_amount_nok", "opens_at", "closes_at"]
        widgets = {
            "opens_at": DateTimeInput(),
            "closes_at": DateTimeInput(),
            "description": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {"max_amount_nok": _("Leave empty for no cap.")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scheme"].queryset = Scheme.objects.filter(is_active=True)
        for name in ("budget_nok", "max_amount_nok"):
            self.fields[name].localize = True
            self.fields[name].widget = forms.TextInput(attrs={"inputmode": "decimal"})

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("opens_at") and data.get("closes_at") and data["closes_at"] <= data["opens_at"]:
            self.add_error("closes_at", _("The deadline must be after the opening time."))
        cap, budget = data.get("max_amount_nok"), data.get("budget_nok")
        if cap is not None and budget is not None and cap > budget:
            self.add_error("max_amount_nok", _("The cap per application cannot be larger than the budget."))
        return data


class AnchorsField(forms.CharField):
    """The 1-7 scale's anchored descriptions, typed one per line as "N: text"; cleans to {"N": "text"}."""

    widget = forms.Textarea(attrs={"rows": 3})

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Scale anchors"))
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", _("One per line, e.g. “1: No plan for the data”, “4: …”, “7: …”."))
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, dict):
            return "\n".join(f"{k}: {v}" for k, v in sorted(value.items(), key=lambda kv: int(kv[0])))
        return value

    def to_python(self, value: Any) -> dict[str, str]:  # type: ignore[override]
        if isinstance(value, dict):
            return value
        anchors: dict[str, str] = {}
        for line in str(value or "").splitlines():
            if not line.strip():
                continue
            step, sep, text = line.partition(":")
            if not sep or step.strip() not in {str(n) for n in range(1, 8)} or not text.strip():
                raise forms.ValidationError(
                    _("Write each anchor as a step from 1 to 7, a colon and its description: “%(line)s”.")
                    % {"line": line.strip()}
                )
            if step.strip() in anchors:
                raise forms.ValidationError(_("Step %(n)s is described twice.") % {"n": step.strip()})
            anchors[step.strip()] = text.strip()
        return anchors


class CriterionForm(forms.Form):
    id = forms.SlugField(label=_("Code"), required=False, max_length=50)
    name = forms.CharField(label=_("Criterion"), max_length=200)
    weight = forms.DecimalField(
        label=_("Weight"), min_value=Decimal("0.01"), max_digits=5, decimal_places=2, localize=True
    )
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    anchors = AnchorsField()


CriterionFormSet = forms.formset_factory(CriterionForm, extra=0, can_delete=True, min_num=1, validate_min=True)


class NewApplicationForm(forms.Form):
    registry = forms.ModelChoiceField(queryset=Registry.objects.none(), label=_("Registry"))
    title = forms.CharField(label=_("Title"), max_length=250)

    def __init__(self, *args: Any, registries: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["registry"].queryset = registries
        if registries.count() == 1:
            self.fields["registry"].initial = registries.first()


class ApplicationForm(forms.ModelForm):
    team_emails = forms.CharField(
        label=_("Project team"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Email addresses of the people named in the project, one per line. Used to keep them out of "
            "the review of this application."
        ),
    )

    class Meta:
        model = Application
        fields = [
            "title",
            "summary",
            "aims",
            "requested_amount_nok",
            "start_date",
            "end_date",
            "participating_registries",
            "participating_units",
        ]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 5}),
            "aims": forms.Textarea(attrs={"rows": 5}),
            "start_date": DateInput(),
            "end_date": DateInput(),
            "participating_registries": forms.SelectMultiple(attrs={"size": 6}),
            "participating_units": forms.SelectMultiple(attrs={"size": 6}),
        }
        help_texts = {
            "participating_registries": _("Other registries taking part (hold Ctrl or Cmd to choose several)."),
            "participating_units": _("Hospitals and health trusts taking part."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["requested_amount_nok"].localize = True
        self.fields["requested_amount_nok"].widget = forms.TextInput(attrs={"inputmode": "decimal"})
        own = self.instance.registry_id if self.instance and self.instance.pk else None
        self.fields["participating_registries"].queryset = Registry.objects.exclude(pk=own).order_by("name")
        self.fields["participating_units"].queryset = participating_unit_choices()
        if self.instance and self.instance.pk and not self.is_bound:
            self.initial["team_emails"] = "\n".join(self.instance.team.values_list("email", flat=True))

    def clean_team_emails(self) -> list[Any]:
        from django.contrib.auth import get_user_model

        emails = [e.strip().lower() for e in self.cleaned_data.get("team_emails", "").replace(",", "\n").split()]
        users = list(get_user_model().objects.filter(email__in=emails))
        unknown = sorted(set(emails) - {u.email for u in users})
        if unknown:
            raise forms.ValidationError(
                _("No user is registered with %(emails)s; ask the secretariat to add them first.")
                % {"emails": ", ".join(unknown)}
            )
        return users

    def clean_requested_amount_nok(self) -> Decimal | None:
        value = self.cleaned_data.get("requested_amount_nok")
        if value is not None and value <= 0:
            raise forms.ValidationError(_("The requested amount must be more than 0 NOK."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("start_date") and data.get("end_date") and data["end_date"] < data["start_date"]:
            self.add_error("end_date", _("The end date must be on or after the start date."))
        return data


class BudgetLineForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=BudgetCategory.choices)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    amount_nok = forms.DecimalField(label=_("Amount (NOK)"), min_value=0, **MONEY)
    description = forms.CharField(label=_("Description"), required=False, max_length=200)


class IndicatorRowForm(forms.Form):
    indicator = forms.ModelChoiceField(label=_("Indicator"), queryset=Indicator.objects.none())
    baseline_year = forms.IntegerField(
        label=_("Baseline year"),
        required=False,
        min_value=2000,
        max_value=2100,
        help_text=_("Empty: the latest year with data."),
    )
    baseline_value = forms.DecimalField(
        label=_("Baseline value"),
        required=False,
        max_digits=12,
        decimal_places=6,
        localize=True,
        help_text=_("Filled in from the data; type a value to override it."),
    )
    target_kind = forms.ChoiceField(
        label=_("Target type"), choices=TargetKind.choices, initial=TargetKind.VALUE, required=False
    )
    target_value = forms.DecimalField(
        label=_("Target value"), required=False, max_digits=12, decimal_places=6, localize=True
    )
    target_level = forms.ChoiceField(
        label=_("Target level"),
        required=False,
        choices=[("", "—"), (Level.HIGH, Level.HIGH.label), (Level.MODERATE, Level.MODERATE.label)],
    )
    target_rule = forms.ChoiceField(label=_("Target rule"), required=False, choices=[("", "—"), *TargetRule.choices])
    target_date = forms.DateField(label=_("Target date"), required=False, widget=DateInput())

    def __init__(self, *args: Any, indicators: Any = None, baseline_url: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if indicators is not None:
            self.fields["indicator"].queryset = indicators
        for name in ("target_kind", "target_value", "target_level", "target_rule"):
            self.fields[name].widget.attrs["data-target-input"] = name
        if baseline_url:
            self._ask_for_baseline(baseline_url)

    def _ask_for_baseline(self, url: str) -> None:
        """Choosing an indicator, a year or other units fetches the baseline table and fills the baseline."""
        common = {
            "hx-get": url,
            "hx-include": "closest .formset-row, #id_participating_units",
            "hx-vals": json.dumps({"prefix": self.prefix}),
            "hx-target": f"#{self.prefix}-baseline",
            "hx-swap": "innerHTML",
            "hx-sync": "closest .formset-row:queue last",  # replace would abort (and log) the earlier request
        }
        self.fields["indicator"].widget.attrs |= common | {"hx-trigger": "change, change from:#id_participating_units"}
        self.fields["baseline_year"].widget.attrs |= common | {"hx-trigger": "change"}

    def clean_target_kind(self) -> str:
        return self.cleaned_data.get("target_kind") or TargetKind.VALUE


class BaselineQueryForm(forms.Form):
    """What the baseline partial is asked for: one formset row's indicator and year (read under the row's prefix)."""

    indicator = forms.ModelChoiceField(queryset=Indicator.objects.none(), required=False)
    baseline_year = forms.IntegerField(required=False, min_value=2000, max_value=2100)

    def __init__(self, *args: Any, indicators: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["indicator"].queryset = indicators


class UnitsQueryForm(forms.Form):
    participating_units = forms.ModelMultipleChoiceField(queryset=Organisation.objects.none(), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["participating_units"].queryset = participating_unit_choices()


def participating_unit_choices() -> Any:
    return Organisation.objects.filter(level__in=["hf", "hospital"]).order_by("name")


class MilestoneRowForm(forms.Form):
    title = forms.CharField(label=_("Milestone"), max_length=200)
    due_date = forms.DateField(label=_("Due date"), widget=DateInput())


BudgetFormSet = forms.formset_factory(BudgetLineForm, extra=0, can_delete=True)
IndicatorFormSet = forms.formset_factory(IndicatorRowForm, extra=0, can_delete=True)
MilestoneFormSet = forms.formset_factory(MilestoneRowForm, extra=0, can_delete=True)


def rows(formset: forms.BaseFormSet) -> list[dict[str, Any]]:
    """The cleaned, non-empty, non-deleted rows of a valid formset."""
    return [
        {k: v for k, v in f.cleaned_data.items() if k != "DELETE"}
        for f in formset.forms
        if f.cleaned_data and not f.cleaned_data.get("DELETE")
    ]


class TransitionForm(forms.Form):
    comment = forms.CharField(required=False, widget=forms.Textarea)
    amount = forms.DecimalField(required=False, min_value=Decimal("0.01"), **MONEY)


class SchemeForm(forms.ModelForm):
    expert_group_name = forms.CharField(
        label=_("Expert group"), max_length=200, required=False, help_text=_("Name of the scheme's expert group.")
    )

    class Meta:
        model = Scheme
        fields = [
            "code",
            "name",
            "name_en",
            "description",
            "decision_body",
            "default_max_amount_nok",
            "requires_indicators",
            "is_active",
            "progress_report_months",
            "final_report_months",
            "agreement_template",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "agreement_template": forms.Textarea(attrs={"rows": 6}),
        }
        help_texts = {"code": _("A short stable identifier, e.g. “regional_west”; used in the API.")}

    payment_plan = forms.CharField(
        label=_("Payment plan"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One payment per line: when it falls due and its share of the granted amount, e.g. “agreement 0.5” and "
            "“final_report 0.5” (agreement, milestone or final_report; the shares add up to 1). Empty: half when "
            "the agreement is accepted, the rest when the final report is approved."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["default_max_amount_nok"].localize = True
        self.fields["default_max_amount_nok"].widget = forms.TextInput(attrs={"inputmode": "decimal"})
        for name in ("progress_report_months", "final_report_months"):
            self.fields[name].required = False  # empty: the default (6 and 3 months)
        self.fields["progress_report_months"].validators.append(MinValueValidator(1))
        if self.instance.pk and not self.is_bound:
            self.initial["payment_plan"] = "\n".join(
                f"{p.get('trigger', '')} {p.get('share', '')}" for p in self.instance.payment_plan
            )

    def clean_progress_report_months(self) -> int:
        value = self.cleaned_data["progress_report_months"]
        return 6 if value is None else value

    def clean_final_report_months(self) -> int:
        value = self.cleaned_data["final_report_months"]
        return 3 if value is None else value

    def clean_payment_plan(self) -> list[dict[str, str]]:
        """Lines like "agreement 0.5" → [{"trigger": "agreement", "share": "0.5"}]; save_scheme checks the shares."""
        plan = []
        for number, line in enumerate(self.cleaned_data["payment_plan"].splitlines(), start=1):
            parts = line.replace(",", ".").split()
            if not parts:
                continue
            if len(parts) != 2:
                raise forms.ValidationError(
                    _("Line %(n)s: write the trigger and the share, e.g. “agreement 0.5”.") % {"n": number}
                )
            plan.append({"trigger": parts[0], "share": parts[1]})
        return plan


class SchemeCriterionForm(forms.Form):
    id = forms.SlugField(label=_("Code"), max_length=50)
    name = forms.CharField(label=_("Criterion (Norwegian)"), max_length=200)
    name_en = forms.CharField(label=_("Criterion (English)"), max_length=200, required=False)
    weight = forms.DecimalField(
        label=_("Weight"), min_value=Decimal("0.01"), max_digits=5, decimal_places=2, localize=True
    )
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    anchors = AnchorsField()


class SectionForm(forms.Form):
    key = forms.SlugField(label=_("Key"), max_length=50)
    title = forms.CharField(label=_("Heading (Norwegian)"), max_length=200)
    title_en = forms.CharField(label=_("Heading (English)"), max_length=200, required=False)


SchemeCriterionFormSet = forms.formset_factory(
    SchemeCriterionForm, extra=0, can_delete=True, min_num=1, validate_min=True
)
SectionFormSet = forms.formset_factory(SectionForm, extra=0, can_delete=True)
