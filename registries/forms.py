"""The upload of an indicator file. The service checks the file itself (type and size)."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Registry


class IndicatorUploadForm(forms.Form):
    """`registries` None: the secretariat's form, unrestricted. Otherwise the member chooses one of their
    registries, and only that registry's indicators are accepted."""

    file = forms.FileField(
        label=_("File"),
        help_text=_("An SKDE file in CSV or XLSX: indicator definitions, the organisation tree or indicator data."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )
    registry = forms.ModelChoiceField(
        queryset=Registry.objects.none(),
        label=_("Registry"),
        empty_label=_("Choose a registry"),
        help_text=_("Only this registry's indicators are accepted."),
    )
    dry_run = forms.BooleanField(
        label=_("Check only (dry run)"),
        required=False,
        help_text=_("Check the file and show the report without storing anything."),
    )

    def __init__(self, *args: Any, registries: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if registries is None:
            del self.fields["registry"]
            return
        field = self.fields["registry"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = registries
        if len(registries) == 1:
            field.initial, field.empty_label = registries[0], None
