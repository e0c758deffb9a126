"""The seed fixtures, loaded for a test: by loaddata once per process, then by saving its rows.

loaddata resolves every natural key with a query of its own (about 1,300
for the seed's 342 objects): a second or two per test, which was most of the
test suite's time. The first load in a process into a database that holds
none of the seed's models' rows runs loaddata and keeps the rows it wrote;
every later load into such a database saves those rows again the way
loaddata saves them (raw saves, the same primary keys, sequences reset
after), with half the queries and none per natural key. A database that
already holds some of those rows gets loaddata, which merges by natural key.
tests/test_seed_loader.py checks that both give the same rows.
"""

import functools
import json
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection

SEED_FIXTURES = ["countries", "officials", "sources", "meetings", "commitments"]


@functools.cache
def seed_models() -> tuple:
    """Return the models the seed fixtures hold, in the order loaddata first writes them.

    Read once per process: the fixture files do not change while tests run.
    """
    folder = Path(settings.BASE_DIR) / "fixtures"
    labels = {}
    for name in SEED_FIXTURES:
        for item in json.loads((folder / f"{name}.json").read_text(encoding="utf-8")):
            labels.setdefault(item["model"])
    return tuple(apps.get_model(label) for label in labels)


class SeedLoader:
    def __init__(self):
        self.rows: list[dict] | None = None

    def load(self) -> None:
        models = seed_models()
        empty = not any(model._base_manager.exists() for model in models)
        if not empty or self.rows is None:
            call_command("loaddata", *SEED_FIXTURES, verbosity=0)
            if empty:
                self.rows = [
                    row
                    for model in models
                    for row in serializers.serialize("python", model._base_manager.order_by("pk"))
                ]
            return
        with connection.constraint_checks_disabled():
            for deserialized in serializers.deserialize("python", self.rows):
                deserialized.save(force_insert=True)  # Not first an UPDATE, as loaddata tries.
        # As loaddata: on PostgreSQL this also runs the deferred foreign key
        # checks now, which would otherwise stop a TRUNCATE (a flush, a
        # restore) later in the same transaction.
        connection.check_constraints(table_names=[model._meta.db_table for model in models])
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(statement)
