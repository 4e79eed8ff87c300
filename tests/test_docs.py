"""The README and docs/: links that lead somewhere, a short front door, a contents list per doc.

No database and no Django: the files are read as text. Anchors follow GitHub's rules, so a link
that works here works on GitHub.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
README_MAX_LINES = 150

FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
# [text](target) and ![alt](target); an optional "title" after the target is ignored.
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
INLINE_CODE = re.compile(r"`[^`]*`")
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)  # http:, https:, mailto:, ...


def prose_lines(path: Path) -> list[tuple[int, str]]:
    """The file's lines outside fenced code blocks, numbered from 1."""
    lines, fenced = [], False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            lines.append((number, line))
    return lines


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: its text, lowercase, punctuation but '-' and '_' dropped,
    spaces made '-'."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    text = re.sub(r"[^\w\- ]", "", text.lower())
    return text.replace(" ", "-")


def headings(path: Path) -> list[tuple[int, str]]:
    """(level, text) of each heading outside code blocks."""
    found = []
    for _, line in prose_lines(path):
        match = HEADING.match(line)
        if match:
            found.append((len(match.group(1)), match.group(2)))
    return found


def anchors(path: Path) -> set[str]:
    """Every anchor GitHub makes for the file; a repeated heading gets -1, -2, ..."""
    made, seen = set(), {}
    for _, text in headings(path):
        base = slug(text)
        count = seen.get(base, 0)
        seen[base] = count + 1
        made.add(base if count == 0 else f"{base}-{count}")
    return made


def links(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """(line number, target) of every relative link in the lines, outside inline code."""
    found = []
    for number, line in lines:
        for target in LINK.findall(INLINE_CODE.sub("", line)):
            if target and not EXTERNAL.match(target):
                found.append((number, target))
    return found


def broken(path: Path, target: str) -> str | None:
    """Why the link is broken, or None when it leads to a file (and heading) that exists."""
    file_part, _, anchor = target.partition("#")
    dest = (path.parent / file_part).resolve() if file_part else path
    if not dest.exists():
        return f"no file {dest.relative_to(ROOT) if dest.is_relative_to(ROOT) else dest}"
    if anchor and dest.suffix == ".md" and anchor not in anchors(dest):
        return f"no heading with the anchor #{anchor} in {dest.relative_to(ROOT)}"
    return None


def test_docs_exist():
    names = {doc.name for doc in DOCS}
    assert {"partners.md", "staff.md", "api.md", "operations.md", "architecture.md"} <= names


def test_docs_relative_links_lead_to_files_and_headings():
    failures = []
    for path in [README, *DOCS]:
        for number, target in links(prose_lines(path)):
            reason = broken(path, target)
            if reason:
                failures.append(f"{path.relative_to(ROOT)}:{number}: ({target}) {reason}")
    assert not failures, "broken links:\n" + "\n".join(failures)


def test_docs_readme_is_a_front_door():
    count = len(README.read_text(encoding="utf-8").splitlines())
    assert count < README_MAX_LINES, (
        f"README.md has {count} lines; keep it under {README_MAX_LINES} and move detail to docs/"
    )


def test_docs_each_has_a_table_of_contents_naming_every_section():
    failures = []
    for path in DOCS:
        lines = prose_lines(path)
        # The contents list is everything before the first section heading.
        first = next((i for i, (_, line) in enumerate(lines) if line.startswith("## ")), 0)
        listed = {target[1:] for _, target in links(lines[:first]) if target.startswith("#")}
        if not listed:
            failures.append(f"docs/{path.name}: no contents list before its first '## ' heading")
        for level, heading in headings(path):
            if level == 2 and slug(heading) not in listed:
                failures.append(f"docs/{path.name}: '## {heading}' (#{slug(heading)})")
    assert not failures, "missing from the table of contents at the top:\n" + "\n".join(failures)


def test_docs_operations_lists_every_environment_variable():
    settings = (ROOT / "partner_portal" / "settings.py").read_text(encoding="utf-8")
    names = set(re.findall(r"\benv\.\w+\(\s*\"([A-Z0-9_]+)\"", settings))
    operations = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    missing = sorted(name for name in names if f"`{name}`" not in operations)
    assert names, 'no env.<type>("NAME") calls found in partner_portal/settings.py'
    assert not missing, (
        "read in partner_portal/settings.py but not in docs/operations.md's tables: "
        + ", ".join(missing)
    )


def test_docs_slug_follows_github():
    assert slug("Updating a deal's stage") == "updating-a-deals-stage"
    assert slug("Partner API (`/api/v1/`)") == "partner-api-apiv1"
    assert slug("Notes and attachments: limits") == "notes-and-attachments-limits"
    assert slug("Đăng nhập hai lớp") == "đăng-nhập-hai-lớp"
    assert slug("snake_case and-dash") == "snake_case-and-dash"
