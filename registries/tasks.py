"""Background work for the registries: the import of an uploaded indicator file."""

from django.tasks import task


@task()
def run_indicator_import(pk: int) -> str:
    from .services import run_import

    return str(run_import(pk).state)
