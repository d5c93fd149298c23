"""Files made by the worker: a stored file is kept only if the row that records it is written."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db.models.fields.files import FieldFile


@contextmanager
def kept_only_if_recorded(file: FieldFile) -> Iterator[None]:
    """Around the write of the row that records `file` (already saved to storage): when that write fails (a dropped
    connection, a killed worker), the file is deleted, so no orphan is left and the rerun stores its own."""
    try:
        yield
    except BaseException:
        if file.name:
            file.storage.delete(file.name)
        raise
