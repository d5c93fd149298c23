"""`manage.py createuser` and the account services behind it."""

from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.core.management import CommandError, call_command

from accounts import services
from accounts.models import ApiToken, User
from audit.models import AuditEntry
from core.exceptions import NotPermitted
from registries.models import Membership
from reviews.models import ExpertGroupMember
from tests.factories import ExpertGroupFactory, RegistryFactory, SchemeFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def nkr():
    return RegistryFactory(name="Nasjonalt kvalitetsregister for ryggkirurgi", short_name="NKR")


@pytest.fixture
def data_quality():
    group = ExpertGroupFactory(scheme=SchemeFactory(code="data_quality"))
    return group.scheme


def createuser(*args, stdin=""):
    out, err = StringIO(), StringIO()
    call_command("createuser", *args, stdout=out, stderr=err, stdin=StringIO(stdin))
    return out.getvalue(), err.getvalue()


def _stored():
    return (
        User.objects.count(),
        Membership.objects.count(),
        ExpertGroupMember.objects.count(),
        ApiToken.objects.count(),
        EmailAddress.objects.count(),
        AuditEntry.objects.count(),
    )


@pytest.mark.parametrize(
    ("args", "flags", "roles"),
    [
        (["--role", "applicant", "--registry", "NKR"], (False, False, False, False), ["applicant"]),
        (["--role", "reviewer", "--committee", "data_quality"], (False, False, False, False), ["reviewer"]),
        (["--role", "secretariat"], (True, False, False, False), ["secretariat"]),
        (["--role", "decider"], (False, True, False, False), ["decider"]),
        (["--role", "admin"], (False, False, True, True), ["secretariat", "admin"]),
    ],
)
def test_createuser_makes_each_role_with_a_verified_email(nkr, data_quality, args, flags, roles):
    out, err = createuser("New.Person@Example.no", *args)

    user = User.objects.get()
    address = EmailAddress.objects.get(user=user)
    assert user.email == "new.person@example.no"
    assert (user.is_secretariat, user.is_decider, user.is_superuser, user.is_staff) == flags
    assert (address.email, address.verified, address.primary) == ("new.person@example.no", True, True)
    assert not user.has_usable_password()
    assert out == f"Created new.person@example.no: roles {', '.join(roles)}\n"
    assert err == ""


def test_registry_may_be_given_by_id_and_committee_seats_the_user_in_the_expert_group(nkr, data_quality):
    createuser("r@example.no", "--role", "reviewer", "--registry", str(nkr.pk), "--committee", "data_quality")

    user = User.objects.get()
    assert list(user.memberships.values_list("registry_id", flat=True)) == [nkr.pk]
    assert list(user.committee_memberships.values_list("group__scheme__code", flat=True)) == ["data_quality"]


def test_createuser_on_an_existing_user_adds_roles_and_memberships_and_keeps_the_rest(nkr, data_quality):
    createuser("a@example.no", "--role", "decider")
    createuser("a@example.no", "--role", "applicant", "--registry", "nkr")

    out, _err = createuser("a@example.no", "--role", "secretariat")

    user = User.objects.get()
    assert (user.is_decider, user.is_secretariat, user.memberships.count()) == (True, True, 1)
    assert out == "Updated a@example.no: roles applicant, secretariat, decider\n"


def test_createuser_twice_with_the_same_arguments_writes_nothing_new(nkr, data_quality):
    args = ["a@example.no", "--role", "secretariat", "--registry", "NKR", "--committee", "data_quality"]
    createuser(*args)
    before = _stored()

    createuser(*args)

    assert _stored() == before


def test_password_stdin_sets_the_password():
    createuser("a@example.no", "--role", "secretariat", "--password-stdin", stdin="lang-og-sikkert-passord\n")

    assert User.objects.get().check_password("lang-og-sikkert-passord")


def test_token_prints_one_line_with_a_token_that_authenticates(nkr):
    out, err = createuser("a@example.no", "--role", "applicant", "--registry", "NKR", "--token")

    key = out.removesuffix("\n")
    token = ApiToken.objects.get()
    assert out.count("\n") == 1 and key.startswith("rg_")
    assert (token.key_hash, token.prefix, token.user.email) == (ApiToken.hash(key), key[:8], "a@example.no")
    assert token.revoked_at is None
    assert err == "Created a@example.no: roles applicant\n"


def test_the_token_authenticates_against_the_api(client, nkr):
    key = createuser("a@example.no", "--role", "applicant", "--registry", "NKR", "--token")[0].strip()

    response = client.get("/api/v1/registries", headers={"Authorization": f"Bearer {key}"})
    refused = client.get("/api/v1/registries", headers={"Authorization": f"Bearer {key}x"})

    assert (response.status_code, refused.status_code) == (200, 401)
    assert [r["short_name"] for r in response.json()] == ["NKR"]


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (
            ["a@example.no", "--role", "boss"],
            "",
            "Unknown role “boss”; use one of: applicant, reviewer, secretariat, decider, admin.",
        ),
        (["not-an-email", "--role", "secretariat"], "", "“not-an-email” is not a valid email address."),
        (
            ["a@example.no", "--role", "applicant", "--registry", "NKR", "--registry", "XYZ"],
            "",
            "No registry has the id, short name or name “XYZ”.",
        ),
        (
            ["a@example.no", "--role", "reviewer", "--committee", "nope"],
            "",
            "No scheme has the code “nope” (known: data_quality).",
        ),
        (
            ["a@example.no", "--role", "secretariat", "--password-stdin"],
            "",
            "--password-stdin was given but standard input had no password.",
        ),
        (
            ["a@example.no", "--role", "secretariat", "--password-stdin"],
            "12345\n",
            "This password is too short. It must contain at least 10 characters. This password is too common. "
            "This password is entirely numeric.",
        ),
    ],
)
def test_bad_input_exits_1_with_the_reason_and_stores_nothing(nkr, data_quality, args, stdin, message):
    before = _stored()

    with pytest.raises(CommandError) as exc:
        createuser(*args, "--token", stdin=stdin)

    assert (exc.value.returncode, str(exc.value)) == (1, message)
    assert _stored() == before


def test_several_problems_are_all_reported_at_once(data_quality):
    with pytest.raises(CommandError) as exc:
        createuser("bad", "--role", "x", "--registry", "NOPE")

    assert str(exc.value).splitlines() == [
        "Unknown role “x”; use one of: applicant, reviewer, secretariat, decider, admin.",
        "“bad” is not a valid email address.",
        "No registry has the id, short name or name “NOPE”.",
    ]


def test_a_reviewer_without_committee_is_created_with_a_note():
    out, _err = createuser("r@example.no", "--role", "reviewer")

    assert out.splitlines() == [
        "Created r@example.no: roles -",
        "Note: a reviewer needs an expert group; add --committee SCHEME.",
    ]


def test_services_refuse_a_user_who_is_not_secretariat(nkr):
    stranger, target = UserFactory(), UserFactory()

    with pytest.raises(NotPermitted):
        services.add_membership(target, nkr, by=stranger)
    with pytest.raises(NotPermitted):
        services.set_roles(target, {"secretariat"}, by=stranger)

    assert Membership.objects.count() == 0


def test_only_an_admin_may_make_an_admin():
    secretariat, admin, target = UserFactory(is_secretariat=True), UserFactory(is_superuser=True), UserFactory()

    with pytest.raises(NotPermitted):
        services.set_roles(target, {"admin"}, by=secretariat)
    services.set_roles(target, {"admin"}, by=admin)

    target.refresh_from_db()
    assert (target.is_superuser, target.is_staff) == (True, True)
    entry = AuditEntry.objects.get(action="accounts.user.set_roles")
    assert (entry.actor, entry.object_id, entry.data) == (admin, target.pk, {"added": ["admin"], "removed": []})


def test_memberships_are_added_and_removed_with_audit_entries(nkr):
    secretariat, user = UserFactory(is_secretariat=True), UserFactory()

    services.add_membership(user, nkr, by=secretariat)
    services.add_membership(user, nkr, by=secretariat)
    removed = services.remove_membership(user, nkr, by=secretariat)

    assert (removed, Membership.objects.count()) == (True, 0)
    assert list(AuditEntry.objects.values_list("action", "data")) == [
        ("accounts.membership.add", {"registry": nkr.pk}),
        ("accounts.membership.remove", {"registry": nkr.pk}),
    ]


def test_revoked_token_is_revoked_once():
    user = UserFactory()
    key = services.create_api_token(user, by=user, name="script")
    token = ApiToken.objects.get(key_hash=ApiToken.hash(key))

    services.revoke_api_token(token, by=user)
    services.revoke_api_token(token, by=user)

    assert ApiToken.objects.get().revoked_at is not None
    assert AuditEntry.objects.filter(action="accounts.apitoken.revoke").count() == 1


def test_save_user_roles_makes_flags_and_memberships_exactly_as_given_and_keeps_admin(nkr, data_quality):
    secretariat = UserFactory(is_superuser=True)
    other = RegistryFactory()
    user = UserFactory(email="a@example.no", is_superuser=True, is_staff=True, is_decider=True)
    services.add_membership(user, other, by=secretariat)

    services.save_user_roles(
        user,
        by=secretariat,
        email="b@example.no",
        full_name="Bea",
        roles=["secretariat"],
        registries=[nkr],
        committees=["data_quality"],
    )

    user.refresh_from_db()
    assert (user.email, user.full_name, user.is_secretariat, user.is_decider, user.is_superuser) == (
        "b@example.no",
        "Bea",
        True,
        False,
        True,
    )
    assert list(user.memberships.values_list("registry_id", flat=True)) == [nkr.pk]
    assert list(user.committee_memberships.values_list("group__scheme__code", flat=True)) == ["data_quality"]
    assert list(EmailAddress.objects.filter(user=user).values_list("email", "verified", "primary")) == [
        ("b@example.no", True, True)
    ]
