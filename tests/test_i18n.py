"""The UI speaks Vietnamese by default and English on request; every string is translated."""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)
PO = ROOT / "locale" / "vi" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def catalogue(entries):
    return {
        (e.msgctxt, e.msgid): (e.msgstr, tuple(sorted(e.msgstr_plural.items()))) for e in entries
    }


def test_every_vietnamese_message_is_translated():
    po = polib.pofile(str(PO))
    assert len(po) > 100
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []


def test_the_compiled_catalogue_matches_the_po_file():
    po = polib.pofile(str(PO))
    mo = polib.mofile(str(MO))
    assert catalogue(e for e in mo if e.msgid) == catalogue(po.translated_entries())


@pytest.mark.skipif(not shutil.which("msgfmt"), reason="needs GNU gettext (msgfmt)")
@pytest.mark.parametrize("po", sorted(ROOT.glob("locale*/*/LC_MESSAGES/django.po")), ids=str)
def test_every_catalogue_compiles(po):
    """A merge can leave a catalogue msgfmt refuses (an entry without its msgstr); then
    `make messages` fails and the .mo stays stale."""
    result = subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(po)], capture_output=True)
    assert result.returncode == 0, result.stderr.decode()


@pytest.mark.skipif(
    not shutil.which("xgettext"), reason="needs GNU gettext (xgettext) to extract strings"
)
def test_no_string_in_the_code_is_missing_from_the_catalogue(tmp_path):
    copy = tmp_path / "src"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "node_modules", "media", "staticfiles", "*.sqlite3", "vendor"
        ),
    )
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "vi",
            "--no-location",
            "--ignore=tests",
            "--ignore=bench",
            "--ignore=.venv",
        ],
        cwd=copy,
        check=True,
        capture_output=True,
    )
    extracted = polib.pofile(str(copy / "locale" / "vi" / "LC_MESSAGES" / "django.po"))
    missing = sorted(e.msgid for e in extracted if not e.obsolete and not e.translated())
    assert missing == []


def test_pages_are_vietnamese_by_default(client, settings):
    client.cookies.pop(settings.LANGUAGE_COOKIE_NAME, None)

    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    html = response.content.decode()
    assert response["Content-Language"] == "vi"
    assert '<html lang="vi">' in html
    assert "Đăng nhập vào Cổng đối tác" in html


def test_the_language_switch_turns_the_ui_english_and_back(client, alice, settings):
    client.cookies.pop(settings.LANGUAGE_COOKIE_NAME, None)
    client.force_login(alice)

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/deals/"})
    assert response["Location"] == "/deals/"
    english = client.get("/deals/").content.decode()
    client.post("/i18n/setlang/", {"language": "vi", "next": "/deals/"})
    vietnamese = client.get("/deals/").content.decode()

    assert ">Discount</a>" in english and ">Customers</a>" in english
    assert ">Chiết khấu</a>" in vietnamese and ">Khách hàng</a>" in vietnamese


def test_an_unknown_language_cookie_falls_back_to_vietnamese(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "xx"
    assert client.get("/login/")["Content-Language"] == "vi"


def test_a_persons_active_and_a_products_active_read_differently_in_vietnamese():
    """One catalogue entry "active" ("đang cung cấp", offered) named a person's state too, on
    the user pages and in the log; Django's "Add %(name)s" read "Thêm vào …" ("add into")."""
    from django.utils import translation
    from django.utils.translation import gettext

    from deals.models import Product
    from partners.models import User

    with translation.override("vi"):
        assert str(User._meta.get_field("is_active").verbose_name) == "đang hoạt động"
        assert str(Product._meta.get_field("is_active").verbose_name) == "đang cung cấp"
        assert gettext("Add %(name)s") % {"name": "đối tác"} == "Thêm đối tác"
