"""The API access matrix: every route × method × object state, with the exact status for each role.

A row is (method, route, path, body, statuses):
- route: the path as the OpenAPI document names it (what the completeness test compares);
- path: the request's path, with "{key}" filled from the world's ids (and a query string where one is needed);
- body: the JSON body (None sends none); a value "@key" is replaced by the world's id `key`;
- statuses: one per role, in the order of world.ROLES. The anonymous caller sends no token.

What the numbers mean: 401 no token; 404 what this role may not know exists (or no such transition); 403 visible
but not allowed; 409 not possible in this state; 400 a refused business rule; 200/201 done.
"""

API_PREFIX = "/api/v1"

ALL = (401, 200, 200, 200, 200, 200, 200, 200, 200)
SECRETARIAT = (401, 403, 403, 403, 403, 403, 200, 403, 200)
SECRETARIAT_ONLY_SEES = (401, 404, 404, 404, 404, 404, 200, 404, 200)
PROJECT_MEMBERS_AND_SECRETARIAT = (401, 200, 404, 404, 404, 404, 200, 404, 200)
PUBLIC = (200, 200, 200, 200, 200, 200, 200, 200, 200)

NEW_CALL = {
    "scheme": "data_quality",
    "title": "Datakvalitet 2027",
    "year": 2027,
    "budget_nok": "500000.00",
    "opens_at": "2027-01-01T00:00:00+01:00",
    "closes_at": "2027-09-01T00:00:00+02:00",
}

# Registry A's indicator for the world's hospital (world.UNIT_ORGNR), as GET /fhir/MeasureReport writes it.
_POPULATION = "http://terminology.hl7.org/CodeSystem/measure-population"
FHIR_REPORT = {
    "resourceType": "MeasureReport",
    "status": "complete",
    "type": "summary",
    "measure": "https://registry-grants.example/fhir/Measure/skde-indicators",
    "reporter": {"identifier": {"system": "urn:oid:2.16.578.1.12.4.1.4.101", "value": "974589095"}},
    "period": {"start": "2025-01-01", "end": "2025-12-31"},
    "group": [
        {
            "code": {"coding": [{"system": "urn:skde:indicator", "code": "@indicator"}]},
            "population": [
                {"code": {"coding": [{"system": _POPULATION, "code": "numerator"}]}, "count": 3},
                {"code": {"coding": [{"system": _POPULATION, "code": "denominator"}]}, "count": 10},
            ],
        }
    ],
}

# fmt: off
API_MATRIX = [
    # (method, route, path, body,
    #    anon appl strg rev  unas conf secr deci admn
    # the OpenAPI document and its page are public; an unknown path is 404 for everyone
    ("GET", "/openapi.json", "/openapi.json", None,
        PUBLIC),
    ("GET", "/docs", "/docs", None,
        PUBLIC),
    ("GET", "/", "/", None,
        (404, 404, 404, 404, 404, 404, 404, 404, 404)),
    ("GET", "/{anything}", "/no/such/thing", None,
        (404, 404, 404, 404, 404, 404, 404, 404, 404)),
    # reference data: any user
    ("GET", "/registries", "/registries", None,
        ALL),
    ("GET", "/registries/{id}", "/registries/{registry_b}", None,
        ALL),
    ("GET", "/registries/{id}/indicators", "/registries/{registry_a}/indicators", None,
        ALL),
    ("GET", "/indicators/{id}/values", "/indicators/{indicator}/values", None,
        ALL),
    # FHIR MeasureReports: any user exports; the secretariat imports any indicator, a registry member only their
    # registry's (the stranger's import is refused by the import rules: 400); the others may not import
    ("GET", "/fhir/MeasureReport", "/fhir/MeasureReport?indicator={indicator}", None,
        ALL),
    ("GET", "/fhir/MeasureReport", "/fhir/MeasureReport?indicator=no_such_indicator", None,
        (401, 404, 404, 404, 404, 404, 404, 404, 404)),
    ("POST", "/fhir/MeasureReport", "/fhir/MeasureReport", FHIR_REPORT,
        (401, 201, 400, 403, 403, 403, 201, 403, 201)),
    ("POST", "/fhir/MeasureReport", "/fhir/MeasureReport?dry_run=true", FHIR_REPORT,
        (401, 200, 400, 403, 403, 403, 200, 403, 200)),
    ("GET", "/schemes", "/schemes", None,
        ALL),
    ("GET", "/users", "/users", None,
        SECRETARIAT),
    ("GET", "/users/me", "/users/me", None,
        ALL),
    # calls: a draft call exists only for the secretariat
    ("GET", "/calls", "/calls", None,
        ALL),
    ("POST", "/calls", "/calls", NEW_CALL,
        (401, 403, 403, 403, 403, 403, 201, 403, 201)),
    ("GET", "/calls/{id}", "/calls/{call}", None,
        ALL),
    ("GET", "/calls/{id}", "/calls/{draft_call}", None,
        SECRETARIAT_ONLY_SEES),
    ("POST", "/calls/{id}/transitions/{name}", "/calls/{call}/transitions/close", None,
        (401, 403, 403, 403, 403, 403, 200, 403, 200)),
    ("POST", "/calls/{id}/transitions/{name}", "/calls/{draft_call}/transitions/open", None,
        SECRETARIAT_ONLY_SEES),
    ("GET", "/calls/{id}/ranking", "/calls/{call}/ranking", None,
        (401, 403, 403, 200, 200, 200, 200, 403, 200)),
    ("GET", "/calls/{id}/ranking", "/calls/{draft_call}/ranking", None,
        SECRETARIAT_ONLY_SEES),
    # applications, by state
    ("GET", "/applications", "/applications", None,
        ALL),
    ("POST", "/applications", "/applications", {"call": "@call", "registry": "@registry_a", "title": "Ny"},
        (401, 201, 403, 403, 403, 403, 403, 403, 403)),
    ("GET", "/applications/{id}", "/applications/{draft}", None,
        (401, 200, 404, 404, 404, 404, 404, 404, 404)),
    ("GET", "/applications/{id}", "/applications/{submitted}", None,
        (401, 200, 404, 404, 404, 404, 200, 404, 200)),
    ("GET", "/applications/{id}", "/applications/{in_review}", None,
        (401, 200, 404, 200, 404, 404, 200, 404, 200)),
    ("GET", "/applications/{id}", "/applications/{recommended}", None,
        (401, 200, 404, 404, 404, 404, 200, 200, 200)),
    ("GET", "/applications/{id}", "/applications/{granted}", None,
        (401, 200, 404, 404, 404, 404, 200, 200, 200)),
    ("PATCH", "/applications/{id}", "/applications/{draft}", {"title": "Ny tittel"},
        (401, 200, 404, 404, 404, 404, 404, 404, 404)),
    ("PATCH", "/applications/{id}", "/applications/{submitted}", {"title": "Ny tittel"},
        (401, 409, 404, 404, 404, 404, 403, 404, 403)),
    ("POST", "/applications/{id}/transitions/{name}", "/applications/{draft}/transitions/submit", None,
        (401, 200, 404, 404, 404, 404, 404, 404, 404)),
    ("POST", "/applications/{id}/transitions/{name}", "/applications/{submitted}/transitions/send_to_review", None,
        (401, 403, 404, 404, 404, 404, 200, 404, 200)),
    ("POST", "/applications/{id}/transitions/{name}", "/applications/{in_review}/transitions/withdraw", None,
        (401, 200, 404, 403, 404, 404, 403, 404, 403)),
    # no submitted review yet: the secretariat's request is refused (400)
    ("POST", "/applications/{id}/transitions/{name}",
     "/applications/{in_review}/transitions/complete_assessment", None,
        (401, 403, 404, 403, 404, 404, 400, 404, 400)),
    ("POST", "/applications/{id}/transitions/{name}", "/applications/{in_review}/transitions/fly", None,
        (401, 404, 404, 404, 404, 404, 404, 404, 404)),
    ("POST", "/applications/{id}/transitions/{name}",
     "/applications/{recommended}/transitions/grant", {"granted_amount_nok": "90000.00"},
        (401, 403, 404, 404, 404, 404, 403, 200, 403)),
    # the role is checked before the state: only the applicant learns that a granted application cannot be withdrawn
    ("POST", "/applications/{id}/transitions/{name}", "/applications/{granted}/transitions/withdraw", None,
        (401, 409, 404, 404, 404, 404, 403, 403, 403)),
    # reviews
    ("POST", "/applications/{id}/reviewers", "/applications/{in_review}/reviewers", {"user": "@user_unassigned"},
        (401, 403, 404, 403, 404, 404, 201, 404, 201)),
    ("POST", "/calls/{id}/reviewers", "/calls/{call}/reviewers", {"reviewers": ["@user_unassigned"]},
        (401, 403, 403, 403, 403, 403, 200, 403, 200)),
    ("POST", "/calls/{id}/reviewers", "/calls/{draft_call}/reviewers", None,
        SECRETARIAT_ONLY_SEES),
    # any member of the scheme's expert group knows of an application in review (the ranking names it) and may
    # declare a conflict, assigned or not, conflicted already or not
    ("POST", "/applications/{id}/conflict", "/applications/{in_review}/conflict", {"reason": "Kollega."},
        (401, 403, 404, 201, 201, 201, 403, 404, 403)),
    ("GET", "/applications/{id}/conflicts", "/applications/{in_review}/conflicts", None,
        (401, 403, 404, 403, 404, 404, 200, 404, 200)),
    ("POST", "/applications/{id}/conflicts/{user}/waive",
     "/applications/{in_review}/conflicts/{user_conflicted}/waive", {"reason": "Fjern relasjon."},
        (401, 403, 404, 403, 404, 404, 200, 404, 200)),
    # the world's conflict is not waived: nothing to withdraw (400) for the secretariat
    ("POST", "/applications/{id}/conflicts/{user}/revoke_waiver",
     "/applications/{in_review}/conflicts/{user_conflicted}/revoke_waiver", {"reason": "Ny relasjon."},
        (401, 403, 404, 403, 404, 404, 400, 404, 400)),
    # the world's review is a draft: nothing to reopen (409)
    ("POST", "/applications/{id}/reviews/{user}/reopen", "/applications/{in_review}/reviews/{user_reviewer}/reopen",
     {"comment": "Se på metoden igjen."},
        (401, 403, 404, 403, 404, 404, 409, 404, 409)),
    # the call's review round: the expert group follows it, the secretariat moves it
    ("GET", "/calls/{id}/review_round", "/calls/{call}/review_round", None,
        (401, 403, 403, 200, 200, 200, 200, 403, 200)),
    ("PUT", "/calls/{id}/review_round", "/calls/{call}/review_round", {"review_deadline": "2099-06-30"},
        (401, 403, 403, 403, 403, 403, 200, 403, 200)),
    ("POST", "/calls/{id}/review_round/transitions/{name}", "/calls/{call}/review_round/transitions/start_discussion",
     None,
        (401, 403, 403, 403, 403, 403, 200, 403, 200)),
    ("POST", "/calls/{id}/review_round/transitions/{name}", "/calls/{call}/review_round/transitions/close_review",
     None,
        (401, 403, 403, 403, 403, 403, 409, 403, 409)),
    # the discussion: the secretariat always, the expert group in the discussion phase (the world is independent)
    ("GET", "/applications/{id}/comments", "/applications/{in_review}/comments", None,
        (401, 403, 404, 403, 404, 404, 200, 404, 200)),
    ("POST", "/applications/{id}/comments", "/applications/{in_review}/comments", {"text": "Hva med dekningen?"},
        (401, 403, 404, 403, 404, 404, 409, 404, 409)),
    ("GET", "/applications/{id}/reviews/mine", "/applications/{in_review}/reviews/mine", None,
        (401, 403, 404, 200, 404, 404, 403, 404, 403)),
    ("PUT", "/applications/{id}/reviews/mine", "/applications/{in_review}/reviews/mine", {"scores": {"methodology": 6}},
        (401, 403, 404, 200, 404, 404, 403, 404, 403)),
    ("POST", "/applications/{id}/reviews/mine/submit", "/applications/{in_review}/reviews/mine/submit", None,
        (401, 403, 404, 200, 404, 404, 403, 404, 403)),
    # a reviewer sees the others' reviews only after submitting their own
    ("GET", "/applications/{id}/reviews", "/applications/{in_review}/reviews", None,
        (401, 403, 404, 403, 404, 404, 200, 404, 200)),
    # projects: the registry's members and the secretariat
    ("GET", "/projects", "/projects", None,
        ALL),
    ("GET", "/projects/{id}", "/projects/{project}", None,
        PROJECT_MEMBERS_AND_SECRETARIAT),
    ("POST", "/projects/{id}/transitions/{name}", "/projects/{project}/transitions/terminate", {"comment": "Stopp."},
        (401, 403, 404, 404, 404, 404, 200, 404, 200)),
    ("POST", "/projects/{id}/transitions/{name}", "/projects/{project}/transitions/accept_agreement", None,
        (401, 409, 404, 404, 404, 404, 403, 404, 403)),
    ("GET", "/projects/{id}/final_report", "/projects/{project}/final_report", None,
        PROJECT_MEMBERS_AND_SECRETARIAT),
    ("PUT", "/projects/{id}/final_report", "/projects/{project}/final_report", {"sections": {"summary": "Kort."}},
        (401, 200, 404, 404, 404, 404, 403, 404, 403)),
    ("POST", "/projects/{id}/milestones/{mid}/report",
     "/projects/{project}/milestones/{milestone_planned}/report", {"text": "Gjort."},
        (401, 200, 404, 404, 404, 404, 403, 404, 403)),
    ("POST", "/projects/{id}/milestones/{mid}/transitions/{name}",
     "/projects/{project}/milestones/{milestone_reported}/transitions/approve", None,
        (401, 403, 404, 404, 404, 404, 200, 404, 200)),
    ("POST", "/projects/{id}/payments/{pid}/transitions/{name}",
     "/projects/{project}/payments/{payment_due}/transitions/approve", None,
        (401, 403, 404, 404, 404, 404, 200, 404, 200)),
    ("POST", "/payments/{id}/transitions/{name}", "/payments/{payment_due}/transitions/approve", None,
        (401, 403, 404, 404, 404, 404, 200, 404, 200)),
    ("POST", "/payments/{id}/transitions/{name}", "/payments/{payment_due}/transitions/pay", {"reference": "B-1"},
        (401, 403, 404, 404, 404, 404, 409, 404, 409)),
    # change requests: the registry asks (and may withdraw), the secretariat decides with a reason
    ("GET", "/projects/{id}/change_requests", "/projects/{project}/change_requests", None,
        PROJECT_MEMBERS_AND_SECRETARIAT),
    ("POST", "/projects/{id}/change_requests", "/projects/{project}/change_requests",
     {"kind": "extension", "proposal": {"end_date": "2029-01-31"}, "reason": "Forsinket."},
        (401, 201, 404, 404, 404, 404, 403, 404, 403)),
    ("POST", "/projects/{id}/change_requests/{cid}/transitions/{name}",
     "/projects/{project}/change_requests/{change_request}/transitions/refuse", {"comment": "Nei."},
        (401, 403, 404, 404, 404, 404, 200, 404, 200)),
    ("POST", "/projects/{id}/change_requests/{cid}/transitions/{name}",
     "/projects/{project}/change_requests/{change_request}/transitions/withdraw", None,
        (401, 200, 404, 404, 404, 404, 403, 404, 403)),
    # progress reports: the members write and submit, the secretariat approves or returns with feedback
    ("GET", "/projects/{id}/progress_reports", "/projects/{project}/progress_reports", None,
        PROJECT_MEMBERS_AND_SECRETARIAT),
    ("PUT", "/projects/{id}/progress_reports/{rid}", "/projects/{project}/progress_reports/{progress_report_due}",
     {"summary": "Godt i gang.", "spending": [{"category": "salary", "year": 2027, "amount_nok": "1000.00"}]},
        (401, 200, 404, 404, 404, 404, 403, 404, 403)),
    ("POST", "/projects/{id}/progress_reports/{rid}/transitions/{name}",
     "/projects/{project}/progress_reports/{progress_report_due}/transitions/submit", None,
        (401, 200, 404, 404, 404, 404, 403, 404, 403)),
    ("POST", "/projects/{id}/progress_reports/{rid}/transitions/{name}",
     "/projects/{project}/progress_reports/{progress_report_submitted}/transitions/approve", None,
        (401, 403, 404, 404, 404, 404, 200, 404, 200)),
    ("POST", "/projects/{id}/progress_reports/{rid}/transitions/{name}",
     "/projects/{project}/progress_reports/{progress_report_submitted}/transitions/return_report",
     {"feedback": "Mangler tall."},
        (401, 403, 404, 404, 404, 404, 200, 404, 200)),
    ("POST", "/projects/{id}/progress_reports/{rid}/transitions/{name}",
     "/projects/{project}/progress_reports/{progress_report_due}/transitions/approve", None,
        (401, 403, 404, 404, 404, 404, 409, 404, 409)),
    # the annual summary is a file download for the secretariat
    ("GET", "/reports/annual", "/reports/annual?year=2026&format=csv", None,
        SECRETARIAT),
]
# fmt: on
