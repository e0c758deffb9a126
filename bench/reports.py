"""The compliance report at scale: a report of every commitment of a database, as HTML.

`report_benchmark(suite)` runs on the database the list benchmarks filled
(10,000 commitments at full size). It files every meeting under one series
meeting, so that the report of that meeting covers every commitment, then
times reading and rendering it against the time of one page of the list
endpoint in the same run.
"""

import datetime


def report_benchmark(suite) -> None:
    """Record report_html_<size>_seconds and its ratio to one list page's time."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from bench.run import PAGE, _short, median_seconds
    from commitments.models import Country, Meeting
    from commitments.reports.rendering import render_html
    from commitments.reports.services import build_report, resolve_scope

    size = suite.sizes["list"]
    today = timezone.localdate()
    series = Meeting.objects.create(
        slug="bench-report-series",
        title="Every meeting of the benchmark",
        kind="other",
        date=datetime.date(2000, 1, 1),
        country=Country.objects.order_by("code").first(),
    )
    # A scratch database: filing its meetings under one series is harmless.
    Meeting.objects.exclude(pk=series.pk).update(parent=series)

    def report() -> str:
        scope = resolve_scope(meeting=series.slug)
        return render_html(build_report(scope=scope, as_of=today))

    with CaptureQueriesContext(connection) as queries:
        html = report()
    if html.count('<section class="commitment"') != size:
        raise AssertionError(f"the report does not hold the {size} commitments")
    repeat = max(2, suite.sizes["repeat"] // 8)
    t_report = median_seconds(report, repeat, warmup=1)
    t_page = median_seconds(lambda: suite.api(f"limit={PAGE}"), suite.sizes["repeat"])
    name = f"report_html_{_short(size)}_seconds"
    suite.record(
        name,
        t_report,
        "s",
        "<= 10",
        t_report <= 10,
        f"{size} commitments, {len(queries)} queries, {len(html) / 1e6:.1f} MB of HTML",
    )
    ratio = t_report / t_page
    # The report holds size / PAGE times the rows of a page, each with its quote,
    # parties and evidence trail: at most 10x a list row's cost per row.
    target = 10 * size / PAGE
    suite.record(
        f"report_html_{_short(size)}_vs_list_page",
        ratio,
        "ratio",
        f"<= {target:g}",
        ratio <= target,
        f"report {t_report:.2f} s, list page of {PAGE} {t_page * 1000:.2f} ms",
    )
