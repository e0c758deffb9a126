"""Compliance reports and the open-data release: what analysts hand out, read from the database.

- `scoring.py`: the compliance score, shared with the dashboard;
- `services.py`: one report (a meeting or a country, as of a cut-off date,
  optionally against an earlier one), read in a constant number of queries
  into plain rows;
- `rendering.py`: the report as standalone HTML, PDF (WeasyPrint), CSV and JSON;
- `sections.py`: each commitment's section of the HTML, built in Python for speed;
- `dataset.py`: the Frictionless Data Package of the whole database (or its
  state as of a date);
- `archive.py`: the archived copy of a piece of evidence, where one exists;
- `admin.py`, `api.py`: the report page and downloads in the admin, and the
  report as JSON in the API.
"""
