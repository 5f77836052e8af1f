"""`make load` (`python -m bench.load`): a load test of the whole stack (gunicorn, PostgreSQL) with
locust, headless. See bench/load/__main__.py for what it does and bench/load/locustfile.py for the
mix of users."""
