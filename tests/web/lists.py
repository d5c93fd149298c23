"""Helpers for the list tests: read an export, count a page's queries, and the order a sort must give."""

import csv
import io

import openpyxl
from django.db import connection
from django.test.utils import CaptureQueriesContext


def content(response) -> bytes:
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content)


def csv_rows(response) -> list[list[str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(content(response).decode("utf-8"))))


def xlsx_sheet(response):
    return openpyxl.load_workbook(io.BytesIO(content(response))).active


def count_queries(client, url: str) -> int:
    client.get(url)  # warm the per-process caches (content types, session) so only the view's own queries count
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    if hasattr(response, "streaming_content"):
        content(response)
    return len(ctx.captured_queries)


def sorted_pks(objects, value, descending=False) -> list[int]:
    """The order the lists promise: by `value`, empty values last either way, ties by pk ascending."""
    by_pk = sorted(objects, key=lambda o: o.pk)
    present = [o for o in by_pk if value(o) is not None]
    missing = [o for o in by_pk if value(o) is None]
    return [o.pk for o in sorted(present, key=value, reverse=descending) + missing]
