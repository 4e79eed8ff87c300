"""/api/v1/docs/: the API reference, a portal page in the reader's language, every operation."""

import re

import pytest
from django.conf import settings
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db


def docs(client, lang):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    return response.content.decode()


def test_docs_page_lists_every_operation_and_schema(client):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    html = docs(client, "en")

    for path, item in schema["paths"].items():
        for method in ("get", "post", "patch", "put", "delete"):
            if method in item:
                assert f'id="{item[method]["operationId"]}"' in html, (method, path)
    for name in schema["components"]["schemas"]:
        assert f'id="schema-{name}"' in html, name
    assert "<script" not in html.split("</main>")[0].split("<main")[1]  # no script of its own


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", ["Parameters", "Answers", "Register a deal for review", "Whole VND."]),
        ("vi", ["Tham số", "Kết quả trả về", "Đăng ký một cơ hội để duyệt", "VND, số nguyên."]),
    ],
)
def test_docs_page_speaks_the_readers_language(client, lang, words):
    html = docs(client, lang)

    assert f'<html lang="{lang}">' in html
    assert [word for word in words if word not in html] == []


def test_docs_page_escapes_and_formats_the_schema_texts(client):
    html = docs(client, "en")

    assert re.search(r"<code>after</code>", html)  # `after` in the events description
