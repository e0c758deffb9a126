"""Check the hand annotations of the evaluation set against their texts.

Run from the repository root: `.venv/bin/python bench/extraction/check_annotations.py`.
Every mention's quote must occur verbatim in its text (`occurrence: N` is needed when it occurs
more than once); meetings, countries, officials and choices must be consistent; a `restates` key
must name a seed commitment and repeat its parties.
"""

import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
SEEDS = HERE.parents[1] / "seeds" / "annotations.yaml"

CATEGORIES = {
    "visa_regime",
    "consular_presence",
    "transport_connectivity",
    "culture_people",
    "industry_investment",
    "trade",
    "health_medicine",
    "education_training",
    "development",
    "science_innovation",
    "political_support",
    "security",
    "institutional_mechanism",
    "other",
}
MEETING_KINDS = {
    "bilateral_talks",
    "multilateral_ministerial",
    "summit",
    "state_visit",
    "phone_call",
    "other",
}
PARTICIPANT_ROLES = {"host", "guest", "participant"}
PARTY_ROLES = {"lead", "partner", "beneficiary", "supporter"}


def check_file(path: Path, seed: dict) -> tuple[list[str], int, int]:
    problems: list[str] = []
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    texts = {}
    for source in data["sources"]:
        texts[source["slug"]] = (HERE / source["file"]).read_text(encoding="utf-8")
    countries = {c["code"] for c in data["countries"]}
    officials = {o["slug"] for o in data.get("officials") or []}
    for o in data.get("officials") or []:
        for p in o.get("positions", []):
            if p["country"] not in countries:
                problems.append(f"official {o['slug']}: unknown country {p['country']}")
    meetings = set()
    for m in data["meetings"]:
        if m["kind"] not in MEETING_KINDS:
            problems.append(f"meeting {m['slug']}: kind {m['kind']!r}")
        if m["country"] not in countries:
            problems.append(f"meeting {m['slug']}: unknown country {m['country']}")
        if m.get("parent") and m["parent"] not in meetings:
            problems.append(f"meeting {m['slug']}: parent {m['parent']} not listed before it")
        for p in m.get("participants") or []:
            if p["official"] not in officials or p["role"] not in PARTICIPANT_ROLES:
                problems.append(f"meeting {m['slug']}: bad participant {p}")
        meetings.add(m["slug"])
    seed_commitments = {c["slug"]: c for c in seed["commitments"]}
    slugs = set()
    n_commitments = n_restating = 0
    for c in data["commitments"]:
        n_commitments += 1
        place = f"commitment {c['slug']}"
        if c["slug"] in slugs:
            problems.append(f"{place}: duplicate slug")
        slugs.add(c["slug"])
        if c["category"] not in CATEGORIES:
            problems.append(f"{place}: category {c['category']!r}")
        if c["meeting"] not in meetings:
            problems.append(f"{place}: unknown meeting {c['meeting']}")
        seen = set()
        for p in c["parties"]:
            if (
                p["country"] not in countries
                or p["role"] not in PARTY_ROLES
                or p["country"] in seen
            ):
                problems.append(f"{place}: bad party {p}")
            seen.add(p["country"])
        if "restates" in c:
            n_restating += 1
            target = seed_commitments.get(c["restates"])
            if target is None:
                problems.append(f"{place}: restates unknown seed commitment {c['restates']}")
            elif target["parties"] != c["parties"]:
                problems.append(f"{place}: parties differ from seed commitment {c['restates']}")
        if not c.get("mentions"):
            problems.append(f"{place}: no mention")
        for mention in c.get("mentions", []):
            quote = mention["quote"]
            source = mention.get("source") or next(iter(texts))
            text = texts[source]
            count = text.count(quote)
            occurrence = mention.get("occurrence")
            if count == 0:
                problems.append(f"{place}: quote not found: {quote[:80]!r}")
            elif occurrence is None and count > 1:
                problems.append(
                    f"{place}: quote occurs {count} times, needs occurrence: {quote[:80]!r}"
                )
            elif occurrence is not None and not 1 <= occurrence <= count:
                problems.append(f"{place}: occurrence {occurrence} of {count}: {quote[:80]!r}")
            if mention.get("meeting", c["meeting"]) not in meetings:
                problems.append(f"{place}: mention meeting unknown")
    return problems, n_commitments, n_restating


def main() -> int:
    seed = yaml.safe_load(SEEDS.read_text(encoding="utf-8"))
    manifest = yaml.safe_load((HERE / "manifest.yaml").read_text(encoding="utf-8"))
    failed = False
    total = total_restating = 0
    for entry in manifest:
        path = HERE / f"{entry['slug']}.yaml"
        problems, n, r = check_file(path, seed)
        if (r > 0) != entry["restates_seed"]:
            problems.append(
                f"manifest restates_seed={entry['restates_seed']} but {r} restating commitments"
            )
        if not (HERE / entry["file"]).is_file():
            problems.append(f"manifest file {entry['file']} missing")
        total += n
        total_restating += r
        status = "ok" if not problems else "FAIL"
        print(f"{status:4} {entry['slug']}: {n} commitments, {r} restating ({entry['role']})")
        for problem in problems:
            print("     ", problem)
        failed = failed or bool(problems)
    print(f"total: {total} commitments, {total_restating} restating, {len(manifest)} texts")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
