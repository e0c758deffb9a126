"""The production WSGI app, and next to it in the same process a bare app that sends bytes.

    gunicorn bench.wsgi_pair:application

Paths under /raw/ answer with the bytes recorded for the rest of the path in
the pickle file named by BENCH_RAW_FILE (read again whenever it changes):
the very response the app gave for that path, without any of the work. The
benchmark compares the two on the same server, workers and connections.
"""

import os
import pickle

from config.wsgi import application as app

_raw = {"mtime": None, "responses": {}}


def _responses() -> dict:
    path = os.environ["BENCH_RAW_FILE"]
    mtime = os.stat(path).st_mtime_ns
    if mtime != _raw["mtime"]:
        with open(path, "rb") as file:
            _raw["responses"] = pickle.load(file)
        _raw["mtime"] = mtime
    return _raw["responses"]


def application(environ, start_response):
    path = environ.get("PATH_INFO", "")
    if not path.startswith("/raw/"):
        return app(environ, start_response)
    query = environ.get("QUERY_STRING", "")
    target = path[len("/raw") :] + (f"?{query}" if query else "")
    not_modified = bool(environ.get("HTTP_IF_NONE_MATCH"))
    status, headers, body = _responses()[(target, not_modified)]
    start_response(status, headers)
    return [body]
