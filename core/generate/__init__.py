"""`manage.py generate_data`: ten years of realistic, seeded data at any scale (issues 6 and 8).

world.py reads (or, on an empty database, creates) what the data hangs on; plan.py decides every row with
random.Random(seed) and a fixed clock; write.py bulk-inserts the rows chunk by chunk in one transaction, with a
believable audit history per object, and no service calls (they would write row by row).
"""

from collections import Counter

from django.db import transaction

from .plan import Planner
from .world import load_world
from .write import historical_timestamps, write_chunk


def generate(applications: int, seed: int) -> Counter[str]:
    """Adds the rows; returns how many of each model (by label) were written."""
    counts: Counter[str] = Counter()
    from projects.models import Project

    with transaction.atomic(), historical_timestamps():
        before = Project.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        world = load_world(seed)
        planner = Planner(world, seed, applications)
        for chunk in planner.chunks():
            write_chunk(chunk, counts)
        counts["projects.FinalReport.outcome"] = freeze_closed_outcomes(after_pk=before)
    return counts


FREEZE_BATCH = 250


def freeze_closed_outcomes(after_pk: int) -> int:
    """The generated closed projects' outcomes (projects above `after_pk`), frozen on their final reports at the
    closing time, as approving a final report does (projects.services.approve_final_report): measured on the
    generated indicator values, a batch of projects at a time (a fixed number of queries per batch)."""
    from projects.enums import ProjectState
    from projects.models import FinalReport, Project
    from projects.outcomes import freeze, outcomes_for_projects, prefetched

    pending = list(
        Project.objects.filter(pk__gt=after_pk, state=ProjectState.CLOSED, final_report__outcome_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(pending), FREEZE_BATCH):
        projects = list(prefetched(Project.objects.filter(pk__in=pending[start : start + FREEZE_BATCH]).order_by("pk")))
        outcomes = outcomes_for_projects(projects)
        reports = list(FinalReport.objects.filter(project__in=projects).select_related("project"))
        for report in reports:
            report.outcome = freeze(outcomes.get(report.project_id, []))
            report.outcome_at = report.project.closed_at
        FinalReport.objects.bulk_update(reports, ["outcome", "outcome_at"])
    return len(pending)
