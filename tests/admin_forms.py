"""Post a Django admin form as a browser does: every field the page renders, with the values
it shows, then the staff member's own edits on top; and read back what a re-rendered form
holds, to check that a refused save kept what was typed."""

from html.parser import HTMLParser


class _FormReader(HTMLParser):
    """The successful controls of the page's main form (id ending in "_form")."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.data: dict[str, list[str]] = {}
        self.in_form = False
        self.select = None
        self.textarea = None
        self.option_value = None
        self.option_text = ""

    def _add(self, name, value):
        self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("id", "").endswith("_form")):
            self.in_form = True
        if not self.in_form or "disabled" in attrs:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self._add(name, attrs.get("value", "on"))
            elif kind not in ("submit", "button", "file", "image", "reset"):
                self._add(name, attrs.get("value", ""))
        elif tag == "select" and name:
            self.select = name
            self.data.setdefault(name, [])
        elif tag == "option" and self.select and "selected" in attrs:
            self._add(self.select, attrs.get("value", ""))
        elif tag == "textarea" and name:
            self.textarea = name
            self._add(name, "")

    def handle_data(self, data):
        if self.textarea:
            self.data[self.textarea][-1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_form = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea:
            # Django puts a newline after <textarea>; browsers drop it.
            value = self.data[self.textarea][-1]
            self.data[self.textarea][-1] = value.removeprefix("\n")
            self.textarea = None


def form_values(html: str) -> dict:
    """{name: value} (a list for a name with several values) of the page's admin form."""
    reader = _FormReader()
    reader.feed(html)
    return {name: values[0] if len(values) == 1 else values for name, values in reader.data.items()}


def form_data(client, url: str, **edits) -> dict:
    """What the browser posts from the form at `url` after the staff member's `edits`
    (a value of None clears the field, for example unticks a checkbox)."""
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    data = form_values(response.content.decode())
    for name, value in edits.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data
