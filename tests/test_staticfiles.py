"""web.staticfiles.StaticStorage: whitenoise's manifest storage, its URLs kept."""

import json

import pytest
from whitenoise.storage import CompressedManifestStaticFilesStorage

from web.staticfiles import StaticStorage

NAMES = ("admin/img/icon-changelink.svg", "admin/js/core.js", "css/portal.css", "a b/ü.css")


@pytest.fixture
def manifest_root(settings, tmp_path):
    settings.STATIC_ROOT = str(tmp_path)
    settings.DEBUG = False
    paths = {name: name.replace(".", ".0123456789ab.", 1) for name in NAMES}
    manifest = {"paths": paths, "version": "1.1", "hash": "x"}
    (tmp_path / "staticfiles.json").write_text(json.dumps(manifest))
    return tmp_path


def test_static_urls_are_whitenoises_and_kept_until_the_manifest_changes(manifest_root):
    ours, theirs = StaticStorage(), CompressedManifestStaticFilesStorage()
    for name in (*NAMES, "admin/js/core.js?v=1#x"):
        assert ours.url(name) == ours.url(name) == theirs.url(name)
    assert ours.url("admin/js/core.js") == "/static/admin/js/core.0123456789ab.js"

    ours.hashed_files = {"admin/js/core.js": "admin/js/core.ffff.js"}  # collectstatic again
    assert ours.url("admin/js/core.js") == "/static/admin/js/core.ffff.js"


def test_static_name_missing_from_the_manifest_still_raises(manifest_root):
    storage = StaticStorage()
    for _ in range(2):
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            storage.url("nowhere.css")
