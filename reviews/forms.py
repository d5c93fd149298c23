"""Forms of the expert assessment: they own the user input and return real types (users, dates, numbers)."""

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from grants.forms import DateInput


class DeadlineField(forms.DateField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", DateInput())
        super().__init__(**kwargs)


class AssignForm(forms.Form):
    user = forms.ModelChoiceField(
        label=_("Assign a reviewer from the expert group"),
        queryset=get_user_model().objects.none(),
        error_messages={"required": _("Choose a reviewer from the expert group.")},
    )
    deadline = DeadlineField(label=_("Review deadline"), help_text=_("Leave empty for the call's review deadline."))

    def __init__(self, *args: Any, candidates: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        users = get_user_model().objects.filter(is_active=True)
        self.fields["user"].queryset = users if candidates is None else candidates


class BulkAssignForm(forms.Form):
    reviewers = forms.ModelMultipleChoiceField(
        label=_("Reviewers to choose from"),
        queryset=get_user_model().objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one member of the expert group.")},
    )
    per_application = forms.IntegerField(
        label=_("Reviewers per application"),
        required=False,
        min_value=1,
        max_value=50,
        help_text=_(
            "Counting those already assigned; the least loaded first. Leave empty to assign every chosen "
            "reviewer to every application."
        ),
    )
    deadline = DeadlineField(label=_("Review deadline"), help_text=_("Leave empty for the call's review deadline."))

    def __init__(self, *args: Any, members: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reviewers"].queryset = members
        self.fields["reviewers"].label_from_instance = lambda u: u.display_name  # type: ignore[attr-defined]
        if not self.is_bound:
            self.initial.setdefault("reviewers", list(members))


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (required)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": _("Give the reason for the conflict of interest.")},
    )


class WaiverForm(forms.Form):
    reason = forms.CharField(
        label=_("Justification (required)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": _("Write why the conflict of interest is waived.")},
    )


class CommentForm(forms.Form):
    text = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 4}), max_length=10_000)


class RoundDeadlineForm(forms.Form):
    review_deadline = DeadlineField(label=_("Review deadline"))


class MemberForm(forms.Form):
    email = forms.EmailField(label=_("Email of the user to add"))

    def clean_email(self) -> Any:
        email = self.cleaned_data["email"].strip().lower()
        user = get_user_model().objects.filter(email__iexact=email).first()
        if user is None:
            raise forms.ValidationError(_("No user has this email address. Add the user first."))
        return user


class MemberChoiceForm(forms.Form):
    user = forms.ModelChoiceField(queryset=get_user_model().objects.none())

    def __init__(self, *args: Any, group: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = get_user_model().objects.filter(committee_memberships__group=group)
