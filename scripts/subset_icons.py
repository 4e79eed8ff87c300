"""Vendor a subset of Bootstrap Icons: the font holding only the icons the portal uses.

The whole font is 134 KB (woff2); the first visit's budget is 150 KB for everything, so the
portal ships the glyphs it names below (a few KB) with a CSS file for just those classes.

    npm pack bootstrap-icons && tar xzf bootstrap-icons-*.tgz
    pip install fonttools brotli
    python scripts/subset_icons.py package/

Add an icon: name it in ICONS, run the command again, commit static/vendor/bootstrap-icons/.
"""

import json
import shutil
import sys
from pathlib import Path

from fontTools import subset

ICONS = """
arrow-left arrow-repeat arrow-right bar-chart-line bell box-arrow-right briefcase building
calendar-event chat-left-text check-circle check-lg chevron-right clock-history
cloud-arrow-up download exclamation-triangle file-earmark-arrow-down filter funnel graph-up
hourglass-split inbox info-circle key list paperclip pencil-square people percent
person-circle plus-lg search shield-check shield-exclamation speedometer2 tag translate
trophy x-circle x-lg
""".split()

OUT = Path(__file__).resolve().parent.parent / "static" / "vendor" / "bootstrap-icons"

BASE_CSS = """/* Bootstrap Icons {version} (MIT), a subset made by scripts/subset_icons.py. */
@font-face {{
  font-display: block;
  font-family: "bootstrap-icons";
  src: url("bootstrap-icons.woff2") format("woff2");
}}
.bi::before,
[class^="bi-"]::before,
[class*=" bi-"]::before {{
  display: inline-block;
  font-family: bootstrap-icons !important;
  font-style: normal;
  font-weight: normal !important;
  font-variant: normal;
  text-transform: none;
  line-height: 1;
  vertical-align: -.125em;
  -webkit-font-smoothing: antialiased;
  -moz-osx-font-smoothing: grayscale;
}}
"""


def main(package: Path) -> None:
    codepoints = json.loads((package / "font" / "bootstrap-icons.json").read_text())
    version = json.loads((package / "package.json").read_text())["version"]
    missing = [name for name in ICONS if name not in codepoints]
    if missing:
        sys.exit(f"not in Bootstrap Icons {version}: {', '.join(missing)}")
    OUT.mkdir(parents=True, exist_ok=True)
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = []
    font = subset.load_font(str(package / "font" / "fonts" / "bootstrap-icons.woff2"), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[codepoints[name] for name in ICONS])
    subsetter.subset(font)
    subset.save_font(font, str(OUT / "bootstrap-icons.woff2"), options)
    rules = "".join(
        f'.bi-{name}::before {{ content: "\\{codepoints[name]:x}"; }}\n' for name in sorted(ICONS)
    )
    (OUT / "bootstrap-icons.css").write_text(BASE_CSS.format(version=version) + rules)
    shutil.copy(package / "LICENSE", OUT / "LICENSE")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
