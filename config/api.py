"""HTTP API v1 (django-ninja). Routers live in each app's api.py and are mounted here."""

from ninja import NinjaAPI

api = NinjaAPI(title="Registry Grants API", version="1", urls_namespace="api")
