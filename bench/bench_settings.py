"""Settings for the benchmark servers: the portal's own, plus the floor page and a query
counter. Never used outside bench/ (gunicorn gets DJANGO_SETTINGS_MODULE=bench.bench_settings).
"""

from partner_portal.settings import *  # noqa: F403
from partner_portal.settings import MIDDLEWARE

ROOT_URLCONF = "bench.bench_urls"
# First, so the session and user queries of every request are counted too.
MIDDLEWARE = ["bench.bench_urls.QueryCountMiddleware", *MIDDLEWARE]
# One token asks for every API page many times within a minute: the budget is not what is
# measured here.
API_RATE_LIMIT = "1000000/minute"
