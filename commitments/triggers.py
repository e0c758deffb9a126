"""What the data generation's and the rendered JSON's database triggers have in common.

Both are named by a fragment (generation.TRIGGER, rendered.TRIGGER), both
are dropped by that fragment on SQLite, and both are dropped by a migration
that removes their table when it is unapplied.
"""

from django.db import migrations


def drop_sqlite_triggers(cursor, quote, fragment: str) -> None:
    """Drop every SQLite trigger whose name holds `fragment`."""
    cursor.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND instr(name, %s) > 0",
        [fragment],
    )
    for (name,) in cursor.fetchall():
        cursor.execute(f"DROP TRIGGER IF EXISTS {quote(name)}")


def uninstalled_backwards(uninstall) -> migrations.RunPython:
    """Return the operation that runs `uninstall(alias)` when its migration is unapplied.

    Forwards it does nothing: the triggers are installed after `migrate`
    finishes, over every table there is then.
    """

    def forwards(apps, schema_editor):
        pass

    def backwards(apps, schema_editor):
        uninstall(schema_editor.connection.alias)

    return migrations.RunPython(forwards, backwards, elidable=False)
