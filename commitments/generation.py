"""The data generation: one number that moves whenever anything the API serves changes.

Database triggers keep it, so that no write can forget to: every INSERT,
UPDATE, DELETE (and on PostgreSQL TRUNCATE) on a served table bumps a counter
in the same transaction as the write, whether it comes from a model's save(),
QuerySet.update(), bulk_create(), loaddata, a raw cursor or psql. Readers see
the bump exactly when they see the write it belongs to.

The counter is spread over SLOTS rows, each transaction bumping the row its
transaction id picks, so that concurrent PostgreSQL writers rarely wait on
each other's row lock; the generation is their sum. One more row
(EPOCH_SLOT) holds a random epoch, replaced whenever the data is swapped
wholesale (restore, flush), since a restore can move the sum backwards and
reuse numbers that once meant other data.

The triggers are (re)installed after every `migrate` and `flush`, on every
table of the app except the generation's own, the admin's history tables
(which the API never serves) and the tables that the rendering triggers keep
in the same statement as a write to a served one (api/rendered.py), plus
the tables that decide who sees what (EXTRA_TABLES).
SQLite drops a table's triggers when a migration rebuilds the table; the
reinstall puts them back, and tests/test_generation.py checks they are all
there.
"""

import secrets

from django.apps import apps
from django.db import InterfaceError, OperationalError, connections, migrations, models

from . import statements
from .triggers import drop_sqlite_triggers, uninstalled_backwards

SLOTS = 16
EPOCH_SLOT = -1
TRIGGER = "commitments_generation"
FUNCTION = "commitments_bump_generation"
# A transaction-local setting: set once the transaction has bumped (PostgreSQL).
BUMPED = "commitments.generation_bumped"
# Who may see what: users, their groups and permissions, and API tokens.
EXTRA_TABLES = (
    "auth_user",
    "auth_user_groups",
    "auth_user_user_permissions",
    "auth_group_permissions",
    "authtoken_token",
)


class DataGeneration(models.Model):
    """One slot of the generation counter (see the module's docstring)."""

    slot = models.SmallIntegerField(primary_key=True)
    value = models.BigIntegerField(default=0)

    class Meta:
        app_label = "commitments"
        verbose_name = "data generation slot"

    def __str__(self):
        return f"slot {self.slot}: {self.value}"


def served_tables() -> list[str]:
    """Return the tables whose writes move the generation, sorted."""
    from simple_history.models import HistoricalChanges

    from .api.rendered import PartyStatus, RenderedCommitment

    tables = {
        model._meta.db_table
        for model in apps.get_app_config("commitments").get_models()
        if model._meta.managed
        and not model._meta.proxy
        and model not in (DataGeneration, RenderedCommitment, PartyStatus)
        and not issubclass(model, HistoricalChanges)
    }
    for model in apps.get_app_config("commitments").get_models():
        for field in model._meta.many_to_many:
            tables.add(field.remote_field.through._meta.db_table)
    return sorted(tables | set(EXTRA_TABLES))


def current(using: str = "default") -> str:
    """Return the generation as "epoch.count": one row, summed from at most 17 tiny ones."""
    connection = connections[using]
    table = connection.ops.quote_name(DataGeneration._meta.db_table)
    # One row rather than the 17: each row costs the driver a conversion per
    # column, and this runs once for every API read.
    totals = (
        f"COALESCE(MAX(CASE WHEN slot = {EPOCH_SLOT} THEN value END), 0), "
        f"COALESCE(SUM(CASE WHEN slot <> {EPOCH_SLOT} THEN value END), 0)"
    )
    with statements.cursor(connection) as cursor:
        if connection.vendor == "postgresql":
            # The next write of this transaction, if any, bumps again: a
            # transaction that reads its own writes (a test, a script) sees
            # each of them move the generation. (SUM of bigints is numeric.)
            cursor.execute(
                f"SELECT {totals}::bigint, set_config(%s, 'off', true) FROM {table}", [BUMPED]
            )
        else:
            cursor.execute(f"SELECT {totals} FROM {table}")
        epoch, count = cursor.fetchone()[:2]
    return f"{epoch:x}.{count}"


def numbers(value: str) -> tuple[int, int]:
    """Return the epoch and count of a generation as current() writes it."""
    epoch, count = value.split(".")
    return int(epoch, 16), int(count)


def is_current_sql(using: str = "default") -> str:
    """Return a condition that holds while the generation is the one its parameters name.

    Its two parameters are numbers() of that generation. Within the statement
    it is part of, it reads the same state of the data as the rest.
    """
    table = connections[using].ops.quote_name(DataGeneration._meta.db_table)
    return (
        f"COALESCE((SELECT value FROM {table} WHERE slot = {EPOCH_SLOT}), 0) = %s "
        f"AND (SELECT COALESCE(SUM(value), 0) FROM {table} WHERE slot <> {EPOCH_SLOT}) = %s"
    )


def current_checking(using: str = "default") -> str:
    """Return current(), its query standing in for the connection's health check.

    With CONN_HEALTH_CHECKS, Django pings a reused connection (`SELECT 1`)
    before the first query of each request, one more round trip to
    PostgreSQL. When this read is that first query, it checks the connection
    itself: if the read fails and the connection proves unusable, the
    connection is dropped and the read made again on a new one, which is
    what the health check would have done first.
    """
    connection = connections[using]
    if (
        connection.connection is None
        or not connection.health_check_enabled
        or connection.health_check_done
        or connection.in_atomic_block
    ):
        return current(using)
    connection.health_check_done = True
    try:
        return current(using)
    except (InterfaceError, OperationalError):
        if connection.is_usable():
            raise
        connection.close()
        return current(using)


def new_epoch(using: str = "default") -> None:
    """Start a new epoch: every response cached or tagged before it is now unreachable."""
    DataGeneration.objects.using(using).update_or_create(
        slot=EPOCH_SLOT, defaults={"value": secrets.randbits(62)}
    )


def _postgresql_statements(tables: list[str], quote) -> list[str]:
    table = quote(DataGeneration._meta.db_table)
    statements = [
        f"""
        CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            -- Once per transaction (until the transaction reads the generation
            -- again, see current()): updating one row again for every statement
            -- of a long transaction (loaddata, a restore) would pile up row
            -- versions that each later update walks through.
            IF current_setting('{BUMPED}', true) IS DISTINCT FROM 'on' THEN
                INSERT INTO {table} (slot, value)
                VALUES ((txid_current() % {SLOTS})::smallint, 1)
                ON CONFLICT (slot) DO UPDATE SET value = {table}.value + 1;
                PERFORM set_config('{BUMPED}', 'on', true);
            END IF;
            RETURN NULL;
        END $$
        """
    ]
    for name in tables:
        statements.append(
            f"CREATE OR REPLACE TRIGGER {TRIGGER} "
            f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {quote(name)} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
        )
    return statements


def _sqlite_statements(tables: list[str], quote) -> list[str]:
    table = quote(DataGeneration._meta.db_table)
    bump = (
        f"INSERT INTO {table} (slot, value) VALUES (0, 1) "
        f"ON CONFLICT (slot) DO UPDATE SET value = value + 1;"
    )
    return [
        f"CREATE TRIGGER IF NOT EXISTS {quote(f'{name}_{TRIGGER}_{event.lower()}')} "
        f"AFTER {event} ON {quote(name)} BEGIN {bump} END"
        for name in tables
        for event in ("INSERT", "UPDATE", "DELETE")
    ]


def install(using: str = "default") -> None:
    """Create the generation's triggers where they are missing, and an epoch if there is none."""
    connection = connections[using]
    existing = set(connection.introspection.table_names())
    tables = [name for name in served_tables() if name in existing]
    if DataGeneration._meta.db_table not in existing:
        return
    if connection.vendor == "postgresql":
        statements = _postgresql_statements(tables, connection.ops.quote_name)
    elif connection.vendor == "sqlite":
        statements = _sqlite_statements(tables, connection.ops.quote_name)
    else:
        raise NotImplementedError(f"No generation triggers for {connection.vendor}.")
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    if not DataGeneration.objects.using(using).filter(slot=EPOCH_SLOT).exists():
        new_epoch(using)


def uninstall(using: str = "default") -> None:
    """Drop every generation trigger (and PostgreSQL's function): before the table goes."""
    connection = connections[using]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in triggered_tables(using):
                cursor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {quote(table)}")
            cursor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
            return
        drop_sqlite_triggers(cursor, quote, TRIGGER)


def migration_operation() -> migrations.RunPython:
    """Return the operation that undoes the triggers when a migration removes the counter."""
    return uninstalled_backwards(uninstall)


def triggered_tables(using: str = "default") -> set[str]:
    """Return the tables that carry the generation's triggers (all three on SQLite)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT DISTINCT event_object_table FROM information_schema.triggers "
                "WHERE trigger_name = %s",
                [TRIGGER],
            )
            return {name for (name,) in cursor.fetchall()}
        cursor.execute(
            "SELECT tbl_name, count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s "
            "GROUP BY tbl_name",
            [f"%{TRIGGER}%"],
        )
        return {name for name, count in cursor.fetchall() if count == 3}


def install_after_migrate(sender, using="default", **kwargs) -> None:
    """post_migrate receiver: `migrate` and `flush` both end here."""
    install(using)
