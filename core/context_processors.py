from django.http import HttpRequest

from grants.rules import can_view_statistics
from registries.rules import can_import_indicators

# (namespace, url-name prefix) → the navigation item that is current.
SECTIONS = [
    ("grants", "call", "calls"),
    ("grants", "scheme", "schemes"),
    ("grants", "application", "applications"),
    ("grants", "statistics", "statistics"),
    ("reviews", "", "calls"),
    ("projects", "portfolio", "portfolio"),
    ("finance", "payment", "payments"),
    ("finance", "annual", "annual"),
    ("projects", "", "projects"),
    ("registries", "import", "imports"),
    ("registries", "", "registries"),
    ("accounts", "user", "users"),
    ("audit", "", "audit"),
    ("accounts", "token", "tokens"),
    ("accounts", "notifications", "notifications"),
    ("accounts", "calendar", "notifications"),
]


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    return {
        **_section(request),
        "can_import_indicators": user is not None and can_import_indicators(user),
        "can_view_statistics": user is not None and can_view_statistics(user),
    }


def _section(request: HttpRequest) -> dict:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return {"nav": ""}
    if match.url_name == "dashboard":
        return {"nav": "dashboard"}
    if match.url_name and match.url_name.startswith("mfa"):
        return {"nav": "security"}
    for namespace, prefix, section in SECTIONS:
        if match.namespace == namespace and (match.url_name or "").startswith(prefix):
            return {"nav": section}
    return {"nav": ""}
