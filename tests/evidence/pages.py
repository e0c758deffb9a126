"""A small web site on loopback that serves every kind of evidence page the archiver meets."""

import http.server
import threading
import time

ARTICLE = b"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Visa-free travel begins</title>
<script>document.title = "scripted";</script></head>
<body><nav>Home | World | Business</nav>
<article><h1>China and Kazakhstan open visa-free travel</h1>
<p>ASTANA, 10 November 2023. The agreement on mutual visa exemption between the
People\xe2\x80\x99s Republic of China and the Republic of Kazakhstan entered into force today,
the foreign ministry said.</p>
<p>Citizens of both countries may now stay for up to 30 days without a visa, and for
no more than 90 days in any 180-day period.</p>
</article><footer>Copyright the publisher</footer></body></html>
"""
EXCERPT = (
    "The agreement on mutual visa exemption between the People's Republic of China "
    "and the Republic of Kazakhstan entered into force today"
)
CHANGED = ARTICLE.replace(b"entered into force today", b"was postponed again")
PLAIN = b"Notice. The railway feasibility study was signed on 2 May 2024.\n"


class Site(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.changing = ARTICLE
        self.slow_seconds = 1.0
        self.requests: list[tuple[str, dict]] = []

    def handle_error(self, request, client_address):
        # A client that stops reading (over the size limit, out of time) is expected.
        pass

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass

    def send(self, status, body=b"", content_type="text/html; charset=utf-8", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        site = self.server
        site.requests.append((self.path, dict(self.headers)))
        path = self.path
        if path == "/article":
            if self.headers.get("If-None-Match") == '"v1"':
                self.send_response(304)
                self.send_header("ETag", '"v1"')
                self.send_header("Connection", "close")
                self.end_headers()
                return
            self.send(200, ARTICLE, headers=[("ETag", '"v1"')])
        elif path.startswith("/hop/"):
            left = int(path.rsplit("/", 1)[1])
            target = "/article" if left <= 1 else f"/hop/{left - 1}"
            self.send(302, b"", headers=[("Location", target)])
        elif path == "/moved":
            self.send(301, b"", headers=[("Location", "/elsewhere")])
        elif path == "/elsewhere":
            self.send(200, b"<html><body><p>Our new home page.</p></body></html>")
        elif path == "/missing":
            self.send(404, b"<html><body>Not here.</body></html>")
        elif path == "/changing":
            self.send(200, site.changing)
        elif path == "/huge":
            self.send(200, b"<p>" + b"x" * 200_000 + b"</p>")
        elif path == "/huge-undeclared":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Connection", "close")
            self.end_headers()
            for _ in range(50):
                self.wfile.write(b"y" * 10_000)
            self.close_connection = True
        elif path == "/slow":
            time.sleep(site.slow_seconds)
            self.send(200, ARTICLE)
        elif path == "/image.png":
            self.send(200, b"\x89PNG\r\n\x1a\n" + b"\0" * 64, content_type="image/png")
        elif path == "/notice.txt":
            self.send(200, PLAIN, content_type="text/plain; charset=utf-8")
        elif path == "/to-metadata":
            self.send(302, b"", headers=[("Location", "http://169.254.169.254/latest/meta-data/")])
        elif path == "/to-private":
            self.send(302, b"", headers=[("Location", "http://10.0.0.1/admin")])
        elif path == "/error":
            self.send(503, b"busy")
        else:
            self.send(404, b"")


def start_site() -> tuple[Site, threading.Thread]:
    site = Site()
    thread = threading.Thread(target=site.serve_forever, daemon=True)
    thread.start()
    return site, thread
