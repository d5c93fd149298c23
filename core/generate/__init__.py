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
    with transaction.atomic(), historical_timestamps():
        world = load_world(seed)
        planner = Planner(world, seed, applications)
        for chunk in planner.chunks():
            write_chunk(chunk, counts)
    return counts
