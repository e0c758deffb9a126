"""Write a fetch's exchanges as a WARC file, the format web archives read and replay.

Each hop (redirects first) becomes a request record and a response record
with the HTTP status line, headers and body as they were received; a
`warcinfo` record says what wrote the file. Transfer-Encoding is left out of
the stored headers because the body is stored de-chunked.
"""

import io
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from .fetch import FetchResult

SOFTWARE = "commitment-tracker evidence archiver"


def warc_date(result: FetchResult) -> str:
    return result.retrieved_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def write_warc(result: FetchResult, *, filename: str = "evidence.warc.gz") -> bytes:
    """Return the gzipped WARC of every exchange of `result`."""
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True, warc_version="WARC/1.1")
    writer.write_record(
        writer.create_warcinfo_record(
            filename, {"software": SOFTWARE, "format": "WARC File Format 1.1"}
        )
    )
    date = warc_date(result)
    for exchange in result.exchanges:
        parts = urlsplit(exchange.url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        request = writer.create_warc_record(
            exchange.url,
            "request",
            payload=io.BytesIO(b""),
            http_headers=StatusAndHeaders(
                f"{exchange.method} {target} HTTP/1.1",
                exchange.request_headers,
                is_http_request=True,
            ),
            warc_headers_dict={"WARC-Date": date},
        )
        response = writer.create_warc_record(
            exchange.url,
            "response",
            payload=io.BytesIO(exchange.body),
            length=len(exchange.body),
            http_headers=StatusAndHeaders(
                f"{exchange.status} {exchange.reason}".strip(),
                [
                    (name, value)
                    for name, value in exchange.response_headers
                    if name.lower() != "transfer-encoding"
                ],
                protocol=exchange.http_version,
            ),
            warc_headers_dict={"WARC-Date": date, "WARC-IP-Address": exchange.peer},
        )
        writer.write_request_response_pair(request, response)
    return buffer.getvalue()


def final_response_body(stream) -> tuple[str, bytes]:
    """Return the URL and raw body of the last response record of a WARC stream."""
    url, body = "", b""
    for record in ArchiveIterator(stream):
        if record.rec_type == "response":
            url = record.rec_headers.get_header("WARC-Target-URI")
            body = record.raw_stream.read()
    return url, body
