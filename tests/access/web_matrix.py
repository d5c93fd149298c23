"""The web access matrix: every URL name × method × object state, with the exact status for each role.

A row is (url, method, target, body, statuses):
- url: "namespace:name" (or the route, for an unnamed pattern);
- target: the world's ids that fill the URL's arguments in order, joined by "/" ("" for none);
- method: GET, POST, or HX-POST: a POST with the HX-Request header, as htmx sends for the partials (autosave);
- body: form data for a POST (None for none); a value "@key" is replaced by the world's id `key`;
- statuses: one per role, in the order of world.ROLES.

What the numbers mean: 200 page; 302 for anonymous is the redirect to the login page, for everyone else the
redirect after a done (or refused-in-this-state) action; 400 a refused business rule re-rendered; 403 visible but
not allowed; 404 what this role may not know exists; 405 a GET on a POST-only endpoint; 301 the favicon.
"""

# The application form with its three empty formsets, as the edit page posts it (a draft may be incomplete).
APPLICATION_FORM = {
    "title": "Bedre dekningsgrad",
    "summary": "Kort sammendrag.",
    **{f"{p}-{k}": "0" for p in ("budget", "indicators", "milestones") for k in ("TOTAL_FORMS", "INITIAL_FORMS")},
}

ALL = (302, 200, 200, 200, 200, 200, 200, 200, 200)
SECRETARIAT = (302, 403, 403, 403, 403, 403, 200, 403, 200)
POST_ONLY = (302, 405, 405, 405, 405, 405, 405, 405, 405)
SECRETARIAT_ONLY_SEES = (302, 404, 404, 404, 404, 404, 200, 404, 200)

# fmt: off
WEB_MATRIX = [
    # (url, method, target, body,
    #    anon appl strg rev  unas conf secr deci admn
    ("dashboard", "GET", "", None,
        ALL),
    ("favicon.ico", "GET", "", None,
        (301, 301, 301, 301, 301, 301, 301, 301, 301)),
    # accounts: own tokens for everyone; users for the secretariat; someone else's token is 404
    ("accounts:tokens", "GET", "", None,
        ALL),
    ("accounts:tokens", "POST", "", {"name": "matrix"},
        ALL),
    ("accounts:token_revoke", "GET", "applicant_token", None,
        POST_ONLY),
    ("accounts:token_revoke", "POST", "applicant_token", None,
        (302, 302, 404, 404, 404, 404, 404, 404, 404)),
    ("accounts:user_list", "GET", "", None,
        SECRETARIAT),
    ("accounts:user_create", "GET", "", None,
        SECRETARIAT),
    ("accounts:user_create", "POST", "", {},
        SECRETARIAT),
    ("accounts:user_edit", "GET", "user_applicant", None,
        SECRETARIAT),
    ("accounts:user_edit", "POST", "user_applicant", {},
        SECRETARIAT),
    # registries: reference data for everyone logged in
    ("registries:registry_list", "GET", "", None,
        ALL),
    ("registries:registry_detail", "GET", "registry_b", None,
        ALL),
    # schemes: everyone reads, the secretariat edits
    ("grants:scheme_list", "GET", "", None,
        ALL),
    ("grants:scheme_create", "GET", "", None,
        SECRETARIAT),
    ("grants:scheme_create", "POST", "", {},
        SECRETARIAT),
    ("grants:scheme_edit", "GET", "scheme", None,
        SECRETARIAT),
    ("grants:scheme_edit", "POST", "scheme", {},
        SECRETARIAT),
    # calls: a draft call exists only for the secretariat
    ("grants:call_list", "GET", "", None,
        ALL),
    ("grants:call_create", "GET", "", None,
        SECRETARIAT),
    ("grants:call_create", "POST", "", {},
        SECRETARIAT),
    ("grants:call_detail", "GET", "call", None,
        ALL),
    ("grants:call_detail", "GET", "draft_call", None,
        SECRETARIAT_ONLY_SEES),
    ("grants:call_edit", "GET", "call", None,
        SECRETARIAT),
    ("grants:call_edit", "GET", "draft_call", None,
        SECRETARIAT_ONLY_SEES),
    ("grants:call_edit", "POST", "call", {},
        SECRETARIAT),
    ("grants:call_transition", "GET", "call", None,
        POST_ONLY),
    ("grants:call_transition", "POST", "call", {"action": "close"},
        (302, 403, 403, 403, 403, 403, 302, 403, 302)),
    ("grants:call_transition", "POST", "draft_call", {"action": "open"},
        (302, 404, 404, 404, 404, 404, 302, 404, 302)),
    ("grants:application_new", "GET", "call", None,
        (302, 200, 200, 403, 403, 403, 403, 403, 403)),
    ("grants:application_new", "GET", "draft_call", None,
        (302, 404, 404, 404, 404, 404, 403, 404, 403)),
    # the stranger's form offers only registry B: registry A is an invalid choice, re-rendered
    ("grants:application_new", "POST", "call", {"registry": "@registry_a", "title": "Ny"},
        (302, 302, 200, 403, 403, 403, 403, 403, 403)),
    # applications, by state: drafts are the registry's own; reviewers see only what they are assigned, unconflicted
    ("grants:application_list", "GET", "", None,
        ALL),
    ("grants:application_detail", "GET", "draft", None,
        (302, 200, 404, 404, 404, 404, 404, 404, 404)),
    ("grants:application_detail", "GET", "submitted", None,
        (302, 200, 404, 404, 404, 404, 200, 404, 200)),
    ("grants:application_detail", "GET", "in_review", None,
        (302, 200, 404, 200, 404, 404, 200, 404, 200)),
    ("grants:application_detail", "GET", "recommended", None,
        (302, 200, 404, 404, 404, 404, 200, 200, 200)),
    ("grants:application_detail", "GET", "granted", None,
        (302, 200, 404, 404, 404, 404, 200, 200, 200)),
    ("grants:application_edit", "GET", "draft", None,
        (302, 200, 404, 404, 404, 404, 404, 404, 404)),
    ("grants:application_edit", "GET", "submitted", None,
        (302, 403, 404, 404, 404, 404, 403, 404, 403)),
    ("grants:application_edit", "POST", "draft", APPLICATION_FORM,
        (302, 302, 404, 404, 404, 404, 404, 404, 404)),
    ("grants:application_edit", "POST", "submitted", APPLICATION_FORM,
        (302, 403, 404, 404, 404, 404, 403, 404, 403)),
    ("grants:application_autosave", "GET", "draft", None,
        POST_ONLY),
    ("grants:application_autosave", "HX-POST", "draft", APPLICATION_FORM,
        (302, 200, 404, 404, 404, 404, 404, 404, 404)),
    ("grants:application_autosave", "HX-POST", "submitted", APPLICATION_FORM,
        (302, 403, 404, 404, 404, 404, 403, 404, 403)),
    ("grants:application_autosave", "HX-POST", "in_review", APPLICATION_FORM,
        (302, 403, 404, 403, 404, 404, 403, 404, 403)),
    ("grants:application_transition", "GET", "draft", None,
        POST_ONLY),
    ("grants:application_transition", "POST", "draft", {"action": "submit"},
        (302, 302, 404, 404, 404, 404, 404, 404, 404)),
    ("grants:application_transition", "POST", "submitted", {"action": "send_to_review"},
        (302, 403, 404, 404, 404, 404, 302, 404, 302)),
    ("grants:application_transition", "POST", "in_review", {"action": "withdraw"},
        (302, 302, 404, 403, 404, 404, 403, 404, 403)),
    # no submitted review yet: the secretariat's request is refused (400), everyone else may not ask at all
    ("grants:application_transition", "POST", "in_review", {"action": "complete_assessment"},
        (302, 403, 404, 403, 404, 404, 400, 404, 400)),
    ("grants:application_transition", "POST", "recommended", {"action": "grant", "granted_amount_nok": "90000"},
        (302, 403, 404, 404, 404, 404, 403, 302, 403)),
    # not possible in this state: a message and back to the page, for whoever may see it
    ("grants:application_transition", "POST", "granted", {"action": "withdraw"},
        (302, 302, 404, 404, 404, 404, 302, 302, 302)),
    # reviews
    ("reviews:assign", "GET", "in_review", None,
        POST_ONLY),
    ("reviews:assign", "POST", "in_review", {"user": "@user_unassigned"},
        (302, 403, 404, 403, 404, 404, 302, 404, 302)),
    ("reviews:declare_conflict", "GET", "in_review", None,
        POST_ONLY),
    ("reviews:declare_conflict", "POST", "in_review", {"reason": "Kollega."},
        (302, 403, 404, 302, 404, 404, 403, 404, 403)),
    ("reviews:save_review", "GET", "in_review", None,
        POST_ONLY),
    ("reviews:save_review", "POST", "in_review", {"score_methodology": "6", "comment": "Bra."},
        (302, 403, 404, 302, 404, 404, 403, 404, 403)),
    ("reviews:ranking", "GET", "call", None,
        (302, 403, 403, 200, 200, 200, 200, 403, 200)),
    ("reviews:ranking", "GET", "draft_call", None,
        SECRETARIAT_ONLY_SEES),
    # the recommendation: the secretariat, the expert group and the decision body; the frozen PDF not for a member
    # conflicted with an application in it; sending is for the secretariat (and the chair: none in this world), and
    # is refused here (400) because an application is still in review
    ("recommendations:detail", "GET", "call", None,
        (302, 403, 403, 200, 200, 200, 200, 200, 200)),
    ("recommendations:detail", "GET", "draft_call", None,
        SECRETARIAT_ONLY_SEES),
    ("recommendations:send", "GET", "call", None,
        POST_ONLY),
    ("recommendations:send", "POST", "call", {"summary": "Samlet vurdering."},
        (302, 403, 403, 403, 403, 403, 400, 403, 400)),
    ("recommendations:pdf", "GET", "recommendation_version", None,
        (302, 403, 403, 200, 200, 403, 200, 200, 200)),
    # the decision meeting: recorded by the secretariat (on a decider's behalf) or a decider; an incomplete form is
    # re-rendered (400)
    ("decisions:meeting", "GET", "call", None,
        (302, 403, 403, 403, 403, 403, 200, 200, 200)),
    ("decisions:meeting", "GET", "draft_call", None,
        SECRETARIAT_ONLY_SEES),
    ("decisions:meeting", "POST", "call", {"body": "IRA"},
        (302, 403, 403, 403, 403, 403, 400, 400, 400)),
    ("decisions:meeting_detail", "GET", "decision_meeting", None,
        (302, 403, 403, 403, 403, 403, 200, 200, 200)),
    # the decision letter: the applicant registry, the secretariat and the decision body
    ("decisions:letter_pdf", "GET", "granted", None,
        (302, 200, 404, 404, 404, 404, 200, 200, 200)),
    # projects: the registry's members run them, the secretariat follows up
    ("projects:project_list", "GET", "", None,
        ALL),
    ("projects:project_detail", "GET", "project", None,
        (302, 200, 404, 404, 404, 404, 200, 404, 200)),
    ("projects:project_transition", "GET", "project", None,
        POST_ONLY),
    ("projects:project_transition", "POST", "project", {"action": "terminate", "comment": "Stopp."},
        (302, 403, 404, 404, 404, 404, 302, 404, 302)),
    ("projects:final_report_edit", "GET", "project", None,
        (302, 200, 404, 404, 404, 404, 403, 404, 403)),
    ("projects:final_report_edit", "POST", "project", {"section_summary": "Kort."},
        (302, 302, 404, 404, 404, 404, 403, 404, 403)),
    ("projects:final_report_edit", "HX-POST", "project", {"section_summary": "Kort."},
        (302, 200, 404, 404, 404, 404, 403, 404, 403)),
    ("projects:milestone_report", "GET", "project/milestone_planned", None,
        POST_ONLY),
    ("projects:milestone_report", "POST", "project/milestone_planned", {"text": "Gjort."},
        (302, 302, 404, 404, 404, 404, 403, 404, 403)),
    ("projects:milestone_transition", "GET", "project/milestone_reported", None,
        POST_ONLY),
    ("projects:milestone_transition", "POST", "project/milestone_reported", {"action": "approve"},
        (302, 403, 404, 404, 404, 404, 302, 404, 302)),
]
# fmt: on
