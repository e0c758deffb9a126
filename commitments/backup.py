"""Backups as JSON fixtures that restore into an empty database of either engine.

Rows keep their primary keys, so that the audit history (which points at rows
by key, including rows deleted since) stays consistent; references to other
rows are written as natural keys (country codes, slugs, usernames, permission
names) wherever the history does not need raw keys.
"""

import datetime
import shutil
from collections.abc import Iterable
from pathlib import Path

from django.apps import apps
from django.contrib.auth.models import Group
from django.core import serializers
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

CHUNK = 2000

# In dependency order; each commitments model is followed by its history.
BACKED_UP = [
    "auth.Group",
    "auth.User",
    "authtoken.Token",
    "commitments.Country",
    "commitments.Official",
    "commitments.Position",
    "commitments.SourceDocument",
    "commitments.Meeting",
    "commitments.MeetingParticipant",
    "commitments.Commitment",
    "commitments.CommitmentParty",
    "commitments.Mention",
    "commitments.StatusUpdate",
    # Their files (WARC, text) are copied beside the JSON: see evidence_files_folder().
    "commitments.EvidenceSnapshot",
    "commitments.EvidenceCheck",
    "admin.LogEntry",
]


class BackupJSONEncoder(DjangoJSONEncoder):
    """Keep timestamps to the microsecond; Django's encoder stops at milliseconds."""

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.time):
            text = o.isoformat()
            return text[:-6] + "Z" if text.endswith("+00:00") else text
        return super().default(o)


def backed_up_models() -> list[type[models.Model]]:
    """Return every model a backup holds, history tables included."""
    result = []
    for label in BACKED_UP:
        model = apps.get_model(label)
        result.append(model)
        history = getattr(model, "history", None)
        if history is not None and label.startswith("commitments."):
            result.append(history.model)
    return result


def is_history(model: type[models.Model]) -> bool:
    return model.__name__.startswith("Historical")


def write_backup(stream, *, using: str = "default") -> dict[str, int]:
    """Write every backed-up row to `stream` as one JSON fixture; return rows per model."""
    counts = {}
    stream.write("[")
    first = True
    for model in backed_up_models():
        queryset = model._default_manager.using(using).order_by("pk")
        counts[model._meta.label] = 0
        for chunk in _chunks(queryset.iterator(chunk_size=CHUNK)):
            text = serializers.serialize(
                "json",
                chunk,
                # History rows may point at rows deleted since: raw keys.
                use_natural_foreign_keys=not is_history(model),
                # Groups already exist in a migrated database: match by name.
                use_natural_primary_keys=model is Group,
                indent=1,
                cls=BackupJSONEncoder,
            )
            body = text.strip()[1:-1].strip()
            if body:
                stream.write(("" if first else ",") + "\n" + body)
                first = False
                counts[model._meta.label] += len(chunk)
    stream.write("\n]\n")
    return counts


def _chunks(rows: Iterable) -> Iterable[list]:
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def evidence_files_folder(backup: Path) -> Path:
    """Return the folder beside a backup that holds its snapshots' files."""
    return backup.with_name(f"{backup.name}.evidence")


def snapshot_file_names(*, using: str = "default") -> list[str]:
    """Return the storage names of every archived file the snapshots name."""
    snapshots = apps.get_model("commitments", "EvidenceSnapshot")._default_manager.using(using)
    return sorted(
        name
        for pair in snapshots.values_list("warc_file", "text_file").iterator()
        for name in pair
        if name
    )


def copy_evidence_files_out(folder: Path, *, using: str = "default") -> tuple[int, list[str]]:
    """Copy the snapshots' files from storage into `folder`; return the count and the missing."""
    copied, missing = 0, []
    for name in snapshot_file_names(using=using):
        if not default_storage.exists(name):
            missing.append(name)
            continue
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with default_storage.open(name, "rb") as source, open(target, "wb") as copy:
            shutil.copyfileobj(source, copy)
        copied += 1
    return copied, missing


def copy_evidence_files_in(folder: Path, *, using: str = "default") -> tuple[int, list[str]]:
    """Put the restored snapshots' files from `folder` back into storage under their names.

    Return how many were copied and the names found neither in storage nor in
    the folder. A name that leads out of the folder is treated as missing.
    """
    copied, missing = 0, []
    root = folder.resolve()
    for name in snapshot_file_names(using=using):
        if default_storage.exists(name):
            continue
        source = (folder / name).resolve()
        if not source.is_relative_to(root) or not source.is_file():
            missing.append(name)
            continue
        with open(source, "rb") as stream:
            stored = default_storage.save(name, File(stream))
        if stored != name:
            default_storage.delete(stored)
            missing.append(name)
            continue
        copied += 1
    return copied, missing
