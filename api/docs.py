"""/api/v1/docs/: the API reference as a portal page, drawn on the server from the schema.

Swagger UI failed axe (contrast, a page without a language, buttons inside buttons) and spoke
English only; Redoc needs inline styles the portal's CSP refuses. This page is the served
OpenAPI schema (/api/v1/schema/) rendered by a template: the portal's layout, no script, in
the reader's language (the summaries and field texts are translated strings), every operation
with its parameters, request body and answers, and every schema with its fields.
"""

import json
import re
from functools import lru_cache

from django.core.serializers.json import DjangoJSONEncoder
from django.shortcuts import render
from django.utils import timezone
from django.utils.html import escape, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from drf_spectacular.generators import SchemaGenerator

METHODS = ("get", "post", "put", "patch", "delete")
_CODE = re.compile(r"`([^`]+)`")


@lru_cache(maxsize=4)
def _schema(language: str, day) -> dict:
    """The schema as the API serves it, in `language` (made once per language, day and
    process: the dates a field takes start today); its translated texts made plain strings."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(json.dumps(schema, cls=DjangoJSONEncoder))


def text(value: str | None):
    """The schema's short texts as HTML: paragraphs, "* " lists and `code`."""
    html = []
    for block in re.split(r"\n\s*\n", (value or "").strip()):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        if lines and all(line.startswith("* ") for line in lines):
            items = format_html_join("", "<li>{}</li>", ((_inline(li[2:]),) for li in lines))
            html.append(f"<ul class='mb-1'>{items}</ul>")
        elif lines:
            html.append(f"<p class='mb-1'>{_inline(' '.join(lines))}</p>")
    return mark_safe("".join(html))  # noqa: S308 (every piece was escaped by _inline)


def _inline(value: str):
    return mark_safe(_CODE.sub(r"<code>\1</code>", escape(value)))  # noqa: S308


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def type_of(schema: dict) -> dict:
    """A field's type for the table: {"text": ..., "ref": schema name or ""}."""
    if "$ref" in schema:
        return {"text": _ref_name(schema["$ref"]), "ref": _ref_name(schema["$ref"])}
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return type_of(schema["allOf"][0])
    if "oneOf" in schema:
        parts = [type_of(s)["text"] for s in schema["oneOf"]]
        return {"text": " | ".join(parts), "ref": ""}
    if schema.get("type") == "array":
        inner = type_of(schema.get("items", {}))
        return {"text": _("list of %(type)s") % {"type": inner["text"]}, "ref": inner["ref"]}
    kind = schema.get("format") or schema.get("type") or _("any")
    if schema.get("enum"):
        values = ", ".join(str(v) for v in schema["enum"] if v not in ("", None))
        kind = _("one of: %(values)s") % {"values": values}
    return {"text": kind, "ref": ""}


def _fields(schema: dict) -> list[dict]:
    required = set(schema.get("required", ()))
    return [
        {
            "name": name,
            "type": type_of(prop),
            "required": name in required,
            "nullable": prop.get("nullable", False),
            "read_only": prop.get("readOnly", False),
            "description": text(prop.get("description", "")),
        }
        for name, prop in schema.get("properties", {}).items()
    ]


def _body(content: dict | None) -> list[dict]:
    return [
        {"media_type": media_type, "type": type_of(item.get("schema", {}))}
        for media_type, item in (content or {}).items()
    ]


def _operation(path: str, method: str, op: dict) -> dict:
    return {
        "anchor": op.get("operationId", f"{method}-{path}"),
        "method": method.upper(),
        "path": path,
        "summary": op.get("summary", ""),
        "description": text(op.get("description", "")),
        "parameters": [
            {
                "name": p["name"],
                "where": p["in"],
                "required": p.get("required", False),
                "type": type_of(p.get("schema", {})),
                "description": text(p.get("description", "")),
            }
            for p in op.get("parameters", ())
        ],
        "request": _body((op.get("requestBody") or {}).get("content")),
        "responses": [
            {
                "status": status,
                "description": text(r.get("description")),
                "body": _body(r.get("content")),
            }
            for status, r in op.get("responses", {}).items()
        ],
    }


def reference(schema: dict) -> dict:
    """The schema, arranged for the page: operations by tag, then the schemas."""
    groups: dict[str, list] = {}
    for path, item in schema["paths"].items():
        for method in METHODS:
            if method in item:
                op = item[method]
                tag = (op.get("tags") or ["api"])[0]
                groups.setdefault(tag, []).append(_operation(path, method, op))
    components = schema.get("components", {})
    return {
        "info": schema["info"],
        "description": text(schema["info"].get("description", "")),
        "groups": sorted(groups.items()),
        "schemas": [
            {"name": name, "description": text(s.get("description")), "fields": _fields(s)}
            for name, s in sorted(components.get("schemas", {}).items())
        ],
        "auth": [
            text(scheme.get("description", ""))
            for scheme in components.get("securitySchemes", {}).values()
        ],
    }


@require_safe
def api_docs(request):
    """The API reference in the reader's language; the schema itself is at /api/v1/schema/."""
    ctx = reference(_schema(get_language(), timezone.localdate()))
    return render(request, "api/docs.html", ctx)


# The two schemas: partners' (/api/v1/schema/) and billing's (/api/internal/v1/schema/).
INTERNAL_PREFIX = "/api/internal/"


def partner_only(endpoints, **kwargs):
    """drf-spectacular preprocessing hook: billing's operations stay out of the partners'
    schema and reference."""
    return [e for e in endpoints if not e[0].startswith(INTERNAL_PREFIX)]


def internal_only(endpoints, **kwargs):
    return [e for e in endpoints if e[0].startswith(INTERNAL_PREFIX)]
