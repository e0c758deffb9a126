"""Ingesting new readouts: sources, proposed meetings and commitments, and their review.

- `rules.py`: the proposer's vocabularies (`seeds/extraction_rules.yaml`) and the
  gazetteer of countries, cities and officials it resolves names against;
- `text.py`: paragraphs and sentences with their offsets;
- `meetings.py`: who met whom, when and where;
- `extractor.py`: the extractor interface and the rule-based backend;
- `matching.py`: restatements of commitments already recorded;
- `proposer.py`: one run over a text, as the JSON the command prints;
- `services.py`: adding a source (pasted text, .txt or .html upload) and
  storing a run of the proposer;
- `models.py`: the proposals and their review, with the one accept method;
- `forms.py`, `admin.py`: the readout form and the review queue in the admin;
- `api.py`: the same through the API;
- `evaluation.py`: the figures of `make eval-extraction`.
"""
