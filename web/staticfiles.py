"""The static files' storage: whitenoise's compressed manifest storage, each URL looked up once.

A page asks for its static URLs again on every request (a staff change page ~40: admin's
icons, scripts and style sheets), and each lookup parses, cleans, finds the hashed name in
the manifest, joins and quotes: ~2.5 ms of the deal change page. The answer depends only on
the name and the manifest, so it is kept until the manifest changes (collectstatic in the
same process gives the storage a new one). A name missing from the manifest still raises.
"""

from django.conf import settings
from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    def url(self, name, force=False):
        cache = self.__dict__.get("_urls")
        if cache is None or cache[0] is not self.hashed_files:
            cache = self._urls = (self.hashed_files, {})
        key = (name, force, settings.DEBUG)
        urls = cache[1]
        if key not in urls:
            urls[key] = super().url(name, force)
        return urls[key]
