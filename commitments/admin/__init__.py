"""The analysts' workbench: every model in the Django admin, with history and safe saves.

- `reference.py`: countries, officials, positions, meetings, source documents;
- `commitments.py`: the commitment page, its parties, mentions and timeline;
- `forms.py`: the commitment form's stale-save check and the status-update forms;
- `bulk.py`: the action that records one status update on many commitments;
- `filters.py`: the changelists' filters;
- `dashboard.py`: the dashboard page;
- `base.py`: what every page shares (history, ISO dates, who recorded what).

Adding a readout and reviewing its proposals live with their area, in
`commitments/ingest/admin.py`; the archived copies of evidence (the timeline's
column, the text view, the WARC download) in `commitments/evidence/admin.py`.
"""

from django.contrib import admin

from ..ingest import admin as ingest_admin  # noqa: F401  (the review queue)
from . import commitments, reference  # noqa: F401  (registers the model admins)

admin.site.site_header = "Commitment tracker"
admin.site.site_title = "Commitment tracker"
admin.site.index_title = "What governments promised, and what became of it"
admin.site.index_template = "admin/commitments_index.html"
admin.site.login_template = "admin/commitments/login.html"
