"""A Dash app whose one callback echoes its input, as a WSGI `server` for gunicorn: the baseline of load-serve."""

from bench.overview import trivial_app

server = trivial_app().server
