"""Personal API tokens, and user/role/membership management for the secretariat."""

from typing import Any

from allauth.account.decorators import reauthentication_required
from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.exceptions import DomainError
from core.views_helpers import report_error
from registries.models import Membership, Registry
from reviews.models import ExpertGroupMember

from . import rules
from .models import ApiToken, User


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("What the token is for, e.g. “registry upload script”."),
    )


# Creating or revoking a token asks for the password again unless it was given in the last few minutes
# (ACCOUNT_REAUTHENTICATION_TIMEOUT), like changing the email address or the second factor; the form then
# resumes. Viewing the list does not.
@login_required
@reauthentication_required(allow_get=True)
def tokens(request: HttpRequest) -> HttpResponse:
    from . import services

    form = TokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        new_key = services.create_api_token(request.user, name=form.cleaned_data["name"], by=request.user)
        form = TokenForm()
        messages.success(request, _("The token is created. Copy it now: it is shown only once."))
    listing = ApiToken.objects.filter(user=request.user).order_by("-created_at")
    return render(request, "accounts/tokens.html", {"form": form, "tokens": listing, "new_key": new_key})


@login_required
@require_POST
@reauthentication_required
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    from . import services

    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.revoke_api_token(token, by=request.user)
    messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("accounts:tokens")


def _require_secretariat(request: HttpRequest) -> None:
    if not rules.is_secretariat(request.user):
        raise PermissionDenied


@login_required
def user_list(request: HttpRequest) -> HttpResponse:
    _require_secretariat(request)
    q = request.GET.get("q", "").strip()
    users = User.objects.prefetch_related(
        Prefetch("memberships", queryset=Membership.objects.select_related("registry")),
        Prefetch("committee_memberships", queryset=ExpertGroupMember.objects.select_related("group__scheme")),
    ).order_by("email")
    if q:
        users = users.filter(email__icontains=q) | users.filter(full_name__icontains=q)
    page = Paginator(users, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/user_list.html", {"page": page, "q": q})


class UserForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Email"))
    full_name = forms.CharField(label=gettext_lazy("Full name"), max_length=200, required=False)
    roles = forms.MultipleChoiceField(
        label=gettext_lazy("Roles"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[("secretariat", gettext_lazy("Secretariat")), ("decider", gettext_lazy("Decider"))],
    )
    registries = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Registry memberships"),
        queryset=Registry.objects.all(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 10}),
    )
    committees = forms.MultipleChoiceField(
        label=gettext_lazy("Expert groups"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from grants.models import Scheme

        self.fields["committees"].choices = [(s.code, str(s)) for s in Scheme.objects.all()]


@login_required
def user_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _require_secretariat(request)
    from . import services

    target = get_object_or_404(User, pk=pk) if pk else None
    initial = {}
    if target is not None:
        initial = {
            "email": target.email,
            "full_name": target.full_name,
            "roles": [r for r in ("secretariat", "decider") if getattr(target, f"is_{r}")],
            "registries": list(target.memberships.values_list("registry_id", flat=True)),
            "committees": list(target.committee_memberships.values_list("group__scheme__code", flat=True)),
        }
    form = UserForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.save_user_roles(
                target,
                by=request.user,
                email=data["email"],
                full_name=data["full_name"],
                roles=data["roles"],
                registries=list(data["registries"]),
                committees=data["committees"],
            )
        except DomainError as exc:
            report_error(request, exc)
        else:
            if user.pk == request.user.pk:
                # A changed role ends the user's sessions (User._get_session_auth_hash); not this one.
                update_session_auth_hash(request, user)
            messages.success(request, _("%(user)s is saved.") % {"user": user})
            return redirect("accounts:user_list")
    return render(request, "accounts/user_form.html", {"form": form, "target": target})


class NotificationForm(forms.Form):
    notification_mode = forms.ChoiceField(
        label=gettext_lazy("Reminders and other notifications"),
        widget=forms.RadioSelect,
        choices=[
            ("immediate", gettext_lazy("At once: each by email as it happens")),
            ("weekly", gettext_lazy("Weekly digest: one email on Mondays with the past week's notifications")),
            ("off", gettext_lazy("Off: no email (decisions and other essential messages are still sent)")),
        ],
    )


def _notifications_page(request: HttpRequest, form: NotificationForm, feed_url: str | None = None) -> HttpResponse:
    context = {"form": form, "feed_url": feed_url, "has_feed": bool(request.user.calendar_token_hash)}
    return render(request, "accounts/notifications.html", context)


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    from . import services

    user = request.user
    form = NotificationForm(request.POST or None, initial={"notification_mode": user.notification_mode})
    if request.method == "POST" and form.is_valid():
        try:
            services.set_notification_mode(user, form.cleaned_data["notification_mode"], by=user)
        except DomainError as exc:
            report_error(request, exc)
        else:
            messages.success(request, _("Your notification settings are saved."))
            return redirect("accounts:notifications")
    return _notifications_page(request, form)


@login_required
@require_POST
def calendar_create(request: HttpRequest) -> HttpResponse:
    """Shows the new address once (it is not stored), so this renders rather than redirects."""
    from . import calendar, services

    token = services.create_calendar_token(request.user, by=request.user)
    request.user.calendar_token_hash = ApiToken.hash(token)
    messages.success(request, _("Your calendar address is created. Copy it now: it is shown only once."))
    form = NotificationForm(initial={"notification_mode": request.user.notification_mode})
    return _notifications_page(request, form, feed_url=calendar.feed_url(token))


@login_required
@require_POST
def calendar_revoke(request: HttpRequest) -> HttpResponse:
    from . import services

    services.revoke_calendar_token(request.user, by=request.user)
    messages.success(request, _("Your calendar address is revoked: calendars using it get nothing more."))
    return redirect("accounts:notifications")


def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """No login (calendar programs cannot log in): the secret in the address is the key. Unknown or revoked: 404."""
    from . import calendar

    user = calendar.user_for_token(token)
    if user is None:
        raise Http404
    response = HttpResponse(calendar.ical(user), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    return response
