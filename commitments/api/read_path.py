"""The commitment list's read path: each page rendered to JSON by the database, in one statement.

The DRF serializers describe the output (for the schema, writes and the
browsable API's detail); this module produces the same JSON for a page of
commitments, or for one, at a fraction of the cost.
tests/test_api_read_path.py keeps the two identical on both engines.

The ORM's page query (every filter, ordering and slice) becomes a subquery,
and the database builds each commitment's JSON object around it, with its
meeting, parties and origin from correlated subqueries. Python only joins
the objects with commas. Each engine has its own JSON functions, and
PostgreSQL writes `"key" : value`.
"""

import datetime
import functools
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import NamedTuple

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import BooleanField, Count, F, Lookup, QuerySet, Window
from django.db.models.expressions import RawSQL
from django.db.models.sql.where import AND
from django.urls import get_script_prefix, reverse

from commitments import generation, statements
from commitments.choices import Status
from commitments.filters import AmongKeys
from commitments.models import CommitmentParty, Meeting, Mention

from . import rendered
from .caching import PROCESS_STORES, Kept, request_day

# The page query selects the commitment's own columns only: what is read from
# other tables (the meeting, the mention count) is read for the page's rows
# alone, by the statement around it, rather than for every row the database
# filters and sorts before the LIMIT.
PAGE_COLUMNS = (
    "id",
    "slug",
    "title",
    "description",
    "category",
    "effective_status",
    "effective_status_date",
    "due_date",
    "meeting_id",
    "created_at",
    "updated_at",
    "version",
)
# What a stored object (rendered.read_sql) needs of its page's row: the rest is
# in the object. A page sorts its rows with every column it selects, so a
# page read through the stored objects selects these alone (a filtered page
# of 100 out of 267 rows: 2.2 ms instead of 2.7 on SQLite).
STORED_COLUMNS = ("id", "slug", "effective_status", "effective_status_date", "due_date")
CLOSED = frozenset(Status.closed())
PAGE_ALIASES = {name: f"c_{name}" for name in PAGE_COLUMNS}


def overdue_sql(c: dict[str, str]) -> str:
    """Return the condition for `overdue` over the page columns `c`; the day is its parameter."""
    closed = ", ".join(f"'{status}'" for status in sorted(CLOSED))
    return (
        f"{c['due_date']} IS NOT NULL AND {c['effective_status']} NOT IN ({closed}) "
        f"AND {c['due_date']} < %s"
    )


def object_fields(vendor: str, c: dict[str, str]) -> list[tuple[str, str]]:
    """Return each key of a commitment's JSON object with its expression over the page columns `c`.

    Two take parameters: `overdue` the day, and `url` the detail URL's text
    before and after the slug.
    """
    party = connection.ops.quote_name(CommitmentParty._meta.db_table)
    mention = connection.ops.quote_name(Mention._meta.db_table)
    meeting = connection.ops.quote_name(Meeting._meta.db_table)
    mentions_count = f"(SELECT COUNT(*) FROM {mention} WHERE commitment_id = {c['id']})"
    if vendor == "sqlite":
        bool_ = "json(CASE WHEN {} THEN 'true' ELSE 'false' END)"
        parties = (
            f"json(COALESCE((SELECT json_group_array(json_object('country', country_id, "
            f"'role', role)) FROM {party} WHERE commitment_id = {c['id']}), '[]'))"
        )
        origin = (
            f"json((SELECT json_object('document', document_id, 'quote', quote, "
            f"'start', start, 'end', \"end\") FROM {mention} "
            f"WHERE commitment_id = {c['id']} AND is_origin))"
        )
        meeting_object = (
            f"json((SELECT json_object('id', id, 'slug', slug, 'title', title, 'date', date, "
            f"'city', city) FROM {meeting} WHERE id = {c['meeting_id']}))"
        )

        def stamp(column):
            return f"replace({column}, ' ', 'T') || 'Z'"
    else:
        bool_ = "(CASE WHEN {} THEN true ELSE false END)"
        parties = (
            f"COALESCE((SELECT json_agg(json_build_object('country', country_id, "
            f"'role', role) ORDER BY id) FROM {party} WHERE commitment_id = {c['id']}), "
            f"'[]'::json)"
        )
        origin = (
            f"(SELECT json_build_object('document', document_id, 'quote', quote, "
            f"'start', start, 'end', \"end\") FROM {mention} "
            f"WHERE commitment_id = {c['id']} AND is_origin)"
        )
        meeting_object = (
            f"(SELECT json_build_object('id', id, 'slug', slug, 'title', title, 'date', date, "
            f"'city', city) FROM {meeting} WHERE id = {c['meeting_id']})"
        )

        def stamp(column):
            # Microseconds only when there are any, as Python writes them;
            # the date and time before them hold no ".".
            utc = f"({column} AT TIME ZONE 'UTC')"
            return f"replace(to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), '.000000', '') || 'Z'"

    return [
        ("slug", c["slug"]),
        ("title", c["title"]),
        ("description", c["description"]),
        ("category", c["category"]),
        ("status", c["effective_status"]),
        ("status_date", c["effective_status_date"]),
        ("due_date", c["due_date"]),
        ("overdue", bool_.format(overdue_sql(c))),
        ("parties", parties),
        ("meeting", meeting_object),
        ("origin", origin),
        ("mentions_count", mentions_count),
        ("created_at", stamp(c["created_at"])),
        ("updated_at", stamp(c["updated_at"])),
        ("version", c["version"]),
        ("url", f"%s || {c['slug']} || %s"),
    ]


def bytes_sql(vendor: str, expression: str) -> str:
    """Return text `expression` as the driver should hand it over: as bytes where that is cheaper.

    SQLite's driver decodes text into a str, which the response then encodes
    again; a BLOB it hands over as the bytes SQLite holds (UTF-8, unchanged
    by the cast). psycopg is given text, read as bytes by statements.LibpqCursor.
    """
    return f"CAST({expression} AS BLOB)" if vendor == "sqlite" else expression


def json_object_sql(vendor: str, fields: list[tuple[str, str]]) -> str:
    """Return the expression that builds a JSON object of `fields`, as text."""
    pairs = ", ".join(f"'{key}', {expression}" for key, expression in fields)
    if vendor == "sqlite":
        return f"json_object({pairs})"
    # As text: psycopg would parse json columns into Python objects.
    return f"json_build_object({pairs})::text"


PAGE = {name: f"p.{alias}" for name, alias in PAGE_ALIASES.items()}


def _object_sql(vendor: str) -> str:
    built = json_object_sql(vendor, object_fields(vendor, PAGE))
    return f"SELECT {bytes_sql(vendor, built)} FROM ({{page}}) p"


OBJECT_SQL = {}


def columns_sql(queryset: QuerySet, columns=PAGE_COLUMNS, **more) -> tuple[str, tuple] | None:
    """Return the SQL and parameters that select `columns` (and `more`) of a queryset.

    None if the queryset is empty.
    """
    try:
        return queryset.values(
            **{PAGE_ALIASES[name]: F(name) for name in columns}, **more
        ).query.sql_with_params()
    except EmptyResultSet:  # queryset.none() has no SQL.
        return None


class PageSql(NamedTuple):
    """A page's statement (SQL and parameters) twice: for the stored objects, and in full.

    `stored` selects STORED_COLUMNS, `full` all PAGE_COLUMNS, for the rare
    page with an object not stored (render_page).
    """

    stored: tuple[str, tuple]
    full: tuple[str, tuple]

    def then(self, sql: str, params) -> "PageSql":
        """Return both statements followed by `sql` and its parameters."""
        return PageSql(*((own + sql, (*own_params, *params)) for own, own_params in self))

    def bind(self, values: dict[str, object]) -> "PageSql":
        """Return both statements with each parameter that `values` has as a key replaced."""
        return PageSql(*((sql, bind(params, values)) for sql, params in self))


def bind(params, values: dict[str, object]) -> tuple:
    """Return `params` with each one that is a key of `values` (a mark) replaced by its value.

    A mark holds a NUL, which no parameter of a request can: the API refuses
    it (inputs.check_text).
    """
    return tuple(values[p] if isinstance(p, str) and p in values else p for p in params)


def page_sql(queryset: QuerySet, **more) -> PageSql | None:
    """Return the statements that select a queryset's page (and `more`); None if it is empty."""
    stored = columns_sql(queryset, STORED_COLUMNS, **more)
    return None if stored is None else PageSql(stored, columns_sql(queryset, PAGE_COLUMNS, **more))


# What a page that counts its whole result selects as its count (counting_page_sql).
PAGE_COUNT = ("(p.c_total)", ())


def counting_page_sql(queryset: QuerySet) -> PageSql | None:
    """Return page_sql() with the count of the whole result on each row, if that costs nothing.

    A page filtered by keys (`country`, `lead`: filters.AmongKeys) reads
    every row the keys select before it sorts them, whatever its order, so
    it counts them on the way (`COUNT(*) OVER ()`, as `c_total`), where a
    count of its own would look each one up again: on PostgreSQL, 2 ms for
    one country's 631 commitments. Any other page may stop at its last row
    (the list in slug order, from the slug index), so None.
    """
    where = queryset.query.where
    by_keys = (
        where.connector == AND
        and not where.negated
        and not queryset.query.distinct
        and any(
            isinstance(child, AmongKeys)
            or (isinstance(child, Lookup) and isinstance(child.lhs, AmongKeys))
            for child in where.children
        )
    )
    return page_sql(queryset, c_total=Window(Count("*"))) if by_keys else None


# From this offset on, a PostgreSQL page reads the slugs of its rows first and
# then the rows: it walks the rows it skips in the slug index alone (an
# index-only scan, in the default order), rather than fetching each from the
# table (0.6 ms instead of 2 at offset 5,000 of 10,000), and costs 0.3 ms
# more than a plain page near the start.
DEEP_OFFSET = 1000


def deep_page_sql(queryset: QuerySet, as_of) -> PageSql | None:
    """Return page_sql()'s statements for a deep page, with `LIMIT %s OFFSET %s` inside.

    None on SQLite, whose index of slugs holds the row ids, as of a day, and
    for an empty queryset.
    """
    if connection.vendor != "postgresql" or as_of is not None:
        return None
    try:
        slugs, params = queryset.values("slug").query.sql_with_params()
    except EmptyResultSet:
        return None
    return PageSql(
        *(
            (
                f"SELECT p.* FROM unnest(ARRAY({slugs} LIMIT %s OFFSET %s)) "
                f"WITH ORDINALITY AS k(slug, n) "
                f"JOIN ({rendered.source_sql('true', columns)}) p ON p.c_slug = k.slug "
                f"ORDER BY k.n",
                params,
            )
            for columns in (STORED_COLUMNS, PAGE_COLUMNS)
        )
    )


# A page deep in slug order (the list's default order) starts at an anchor:
# the slug at the last multiple of ANCHOR_EVERY before its offset, each
# anchor read once per shape and data generation (from the one before it, if
# read). A page then walks fewer than ANCHOR_EVERY rows instead of every row
# before it (on SQLite a page at offset 9,900 of 10,000 read in 0.9 ms, and
# in 0.5 from its anchor; on PostgreSQL 5.4 and 1.9 ms).
ANCHOR_EVERY = 1000
ANCHOR_MARK = "\x00anchor"
GENERATION_MARKS = ("\x00epoch", "\x00count")
# The anchors this process has read, by data generation and shape: {k: the
# slug at offset k * ANCHOR_EVERY}.
ANCHORS = Kept(256)


class Anchoring(NamedTuple):
    """A slug-ordered shape's statements for an anchor and for a page that starts at one.

    `anchor` selects the slugs from ANCHOR_MARK on, and `page` the page from
    ANCHOR_MARK on, each to be followed by LIMIT and OFFSET. Both hold the
    condition that the data generation is the request's (the parameters
    GENERATION_MARKS), so that anchors and pages are read from one state of
    the data: a row written between the two would shift the page. Under
    another generation they select nothing.
    """

    anchor: tuple[str, tuple]
    page: PageSql


def anchoring_sql(queryset: QuerySet) -> Anchoring | None:
    """Return a shape's Anchoring; None unless it is ordered by slug alone."""
    if tuple(queryset.query.order_by) != ("slug",):
        return None
    current = RawSQL(generation.is_current_sql(), GENERATION_MARKS, output_field=BooleanField())
    from_anchor = queryset.filter(current, slug__gte=ANCHOR_MARK)
    try:
        anchor = from_anchor.values("slug").query.sql_with_params()
    except EmptyResultSet:
        return None
    return Anchoring(anchor, page_sql(from_anchor))


def anchored_page(anchoring: Anchoring, data_generation: str, offset: int, limit: int):
    """Return the PageSql of the page at `offset` from its anchor; None without one.

    The page selects nothing if the data generation is no longer
    `data_generation`, the request's.
    """
    k = offset // ANCHOR_EVERY
    if k == 0:
        return None
    marks = dict(zip(GENERATION_MARKS, generation.numbers(data_generation), strict=True))
    key = (data_generation, anchoring.anchor)
    anchors = ANCHORS.get(key)
    if anchors is None:
        anchors = {}
        ANCHORS.keep(key, anchors)
    anchor = anchors.get(k)
    if anchor is None:
        before = max((i for i in anchors if i < k), default=0)
        sql, params = anchoring.anchor
        params = bind(params, {**marks, ANCHOR_MARK: anchors.get(before, "")})
        with statements.cursor(connection) as cursor:
            cursor.execute(f"{sql} LIMIT 1 OFFSET %s", (*params, (k - before) * ANCHOR_EVERY))
            row = cursor.fetchone()
        if row is None:  # Another generation by now, or fewer rows.
            return None
        anchor = anchors[k] = row[0]
    page = anchoring.page.bind({**marks, ANCHOR_MARK: anchor})
    return page.then(" LIMIT %s OFFSET %s", (limit, offset - k * ANCHOR_EVERY))


def count_sql(queryset: QuerySet) -> tuple[str, tuple] | None:
    """Return the SQL and parameters that count a queryset's rows; None if it is empty."""
    try:
        sql, params = queryset.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:
        return None
    return f"SELECT COUNT(*) FROM ({sql}) counted", params


def run_count(compiled: tuple[str, tuple] | None) -> int:
    """Run what count_sql() returned."""
    if compiled is None:
        return 0
    with statements.cursor(connection) as cursor:
        cursor.execute(*compiled)
        return cursor.fetchone()[0]


@functools.lru_cache(maxsize=8)
def detail_path(script_prefix: str) -> str:
    """Return a detail's path with "-" for its slug, once per script prefix (reverse() is slow)."""
    return reverse("commitment-detail", kwargs={"slug": "-"})


# A detail URL's text before and after the slug, per scheme and host (which
# ALLOWED_HOSTS bounds) and script prefix.
DETAIL_URLS = Kept(64)


def detail_url_parts(request) -> tuple[str, str]:
    """Return the text of a detail's absolute URL before and after its slug, for this request.

    The same as build_absolute_uri() of detail_path(), which depends on the
    request's scheme and host alone: made once for each, not on every read.
    """
    path = detail_path(get_script_prefix())
    key = (request._current_scheme_host, path)
    parts = DETAIL_URLS.get(key)
    if parts is None:
        url = request.build_absolute_uri(path)
        parts = url[: url.rindex("-")], url[url.rindex("-") + 1 :]
        DETAIL_URLS.keep(key, parts)
    return parts


def render_page(page: PageSql, *, request, as_of: datetime.date | None) -> list[bytes]:
    """Return each commitment the page selects as JSON bytes, in its order.

    The objects are read as the database keeps them rendered (rendered.py),
    or rendered in full when one of the page's is not.
    """
    return _render(page, None, request=request, as_of=as_of)[0]


def render_counted_page(
    page: PageSql, counter: tuple[str, tuple], *, request, as_of: datetime.date | None
) -> tuple[list[bytes], int | None]:
    """Return render_page(), and what `counter` counts, from one statement.

    `counter` is count_sql()'s statement, run as a subquery, or PAGE_COUNT
    for a page of counting_page_sql(). The count is None when the page is
    empty (past the last result, or none). One statement is one round trip
    to the database fewer than two.
    """
    return _render(page, counter, request=request, as_of=as_of)


def _with_count(template: str) -> str:
    """Return a statement of OBJECT_SQL that also selects `{count}`, the count's statement."""
    end = " FROM ({page}) p"
    assert template.endswith(end), template
    return template.removesuffix(end) + ", ({count})" + end


def _render(page: PageSql, counter, *, request, as_of) -> tuple[list[bytes], int | None]:
    vendor = connection.vendor
    if vendor not in OBJECT_SQL:
        templates = (rendered.read_sql(vendor), _object_sql(vendor))
        OBJECT_SQL[vendor] = (templates, tuple(_with_count(t) for t in templates))
    (stored, full), counted = OBJECT_SQL[vendor]
    count_params = ()
    if counter is not None:
        (stored, full), (count, count_params) = counted, counter
        stored, full = stored.replace("{count}", count), full.replace("{count}", count)
    day = (as_of or request_day(request)).isoformat()
    url_prefix, url_suffix = detail_url_parts(request)
    # The object's own parameters come before the count's and the page's in the text.
    own = (day, url_prefix, url_suffix, *count_params)
    with statements.cursor(connection) as cursor:
        sql, params = page.stored
        cursor.execute(stored.replace("{page}", sql), (*own, *params))
        rows = statements.fetchall_text_first(cursor)
        if any(row[0] is None for row in rows):
            sql, params = page.full
            cursor.execute(full.replace("{page}", sql), (*own, *params))
            rows = statements.fetchall_text_first(cursor)
    total = rows[0][1] if rows and counter is not None else None
    return [row[0] for row in rows], total


def commitment_json(page: QuerySet, *, request, as_of: datetime.date | None) -> list[bytes]:
    """Return each commitment of an already sliced queryset as JSON bytes, in the page's order."""
    compiled = page_sql(page)
    return [] if compiled is None else render_page(compiled, request=request, as_of=as_of)


class CompiledShapes:
    """Compiled queries by what shapes them: this process's most recent, and the shared cache's.

    Building a page's query (the filter form, the ORM's compiler) costs more
    than the database's own work for it; requests of the same shape (same
    filters, ordering and `as_of`, any page) reuse what the first one built,
    in any later data generation too: the SQL holds the filters' values, not
    the data (the views say which filters make an exception). What one worker
    compiled, the others read from the shared cache, under a key that names
    the code, so that a deploy never runs an older SQL.
    """

    def __init__(self, name: str, size: int = 512):
        self.name = name
        self.size = size
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        PROCESS_STORES.add(self)

    def get(self, key):
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def get_or_compile(self, key, compile: Callable):
        """Return what is kept for `key`, here or in the shared cache; else compile() and keep it.

        compile() raises for a request whose filters are invalid: nothing is
        kept for it.
        """
        value = self.get(key)
        if value is not None:
            return value
        from .caching import CODE_FINGERPRINT, shared

        parts = (CODE_FINGERPRINT, connection.vendor, self.name, key)
        value = shared("shape", parts, compile, SHARED_SHAPE_SECONDS)
        self.put(key, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def put(self, key, value) -> None:
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


# A day: the day is part of every shape's key, so older ones are never read.
SHARED_SHAPE_SECONDS = 60 * 60 * 24
LIST_SHAPES = CompiledShapes("list")
DETAIL_SHAPES = CompiledShapes("detail", 64)
SLUG_MARK = "\x00slug"


def detail_shape(as_of) -> tuple:
    """Return the key under which DETAIL_SHAPES keeps the detail's statement for `as_of`."""
    return (connection.vendor, as_of)


def detail_json(queryset: Callable[[], QuerySet], slug: str, *, request, as_of) -> bytes | None:
    """Return one commitment of queryset() as JSON bytes, or None; compiled once per `as_of`.

    queryset() is called only to compile: building it costs more than the read.
    """
    key = detail_shape(as_of)
    compiled = DETAIL_SHAPES.get(key)
    if compiled is None:
        compiled = page_sql(queryset().filter(slug=SLUG_MARK)[:1])
        DETAIL_SHAPES.put(key, compiled)
    objects = render_page(compiled.bind({SLUG_MARK: slug}), request=request, as_of=as_of)
    return objects[0] if objects else None
