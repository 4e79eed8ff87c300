"""gunicorn's settings, read from the working directory whatever starts it (honcho, bench/).

The request line may be up to 8190 bytes (gunicorn's default is 4094): the API refuses an
address over API_MAX_URL_LENGTH (4000 by default) itself, with a 414 in problem details a
program can read, instead of gunicorn's HTML page. Only a line over 8190 bytes still meets
gunicorn's page.
"""

limit_request_line = 8190
