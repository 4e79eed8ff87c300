"""Existing history entries stored the portal's own text in the language of whoever caused
them ("Đã đăng ký" for everybody). Turn those texts into system codes and parameters, so the
timeline shows them in the reader's language; what a person wrote stays in `note`.

A text is converted only when it matches one of the portal's texts exactly, in English or
Vietnamese; anything else is left as it was.
"""

import re
from datetime import date, timedelta

from django.db import migrations
from django.utils import translation
from django.utils.formats import date_format

LANGUAGES = ("en", "vi")
# The long date as those texts were written then (partner_portal/formats/vi has since put
# "ngày" in lower case): pinned, so the migration reads old notes whatever the format is now.
WRITTEN_DATE_FORMATS = {"en": "N j, Y", "vi": r"\N\g\à\y d \t\h\á\n\g n \n\ă\m Y"}
FIXED = {
    "registered": "Registered",
    "registered_conflict": "Registered. Another partner holds a protected claim on this customer.",
}
CHANGED = "Changed: %(fields)s."
PROTECTION = "Protection extended until %(date)s."
FIELDS = {
    "title": "title",
    "description": "description",
    "estimated_value": "estimated value (VND)",
    "expected_close_date": "expected close date",
    "rates": "discount rates",
}


def _pattern(template: str, name: str) -> re.Pattern:
    return re.compile(re.escape(template).replace(re.escape(f"%({name})s"), "(.+)"))


class Texts:
    """The portal's texts in one language, and the way back from them to codes."""

    def __init__(self, language: str):
        with translation.override(language):
            self.fixed = {translation.gettext(text): code for code, text in FIXED.items()}
            self.changed = _pattern(translation.gettext(CHANGED), "fields")
            self.protection = _pattern(translation.gettext(PROTECTION), "date")
            self.fields = {translation.gettext(label): name for name, label in FIELDS.items()}
            self.language = language
        self._dates = None

    def date(self, text: str):
        if self._dates is None:
            first = date(2020, 1, 1)
            with translation.override(self.language):
                self._dates = {
                    date_format(day, WRITTEN_DATE_FORMATS[self.language]): day
                    for day in (first + timedelta(n) for n in range(6000))
                }
        return self._dates.get(text)

    def convert(self, note: str):
        """(code, params, the note that remains) or None if no text of the portal is found."""
        if note in self.fixed:
            return self.fixed[note], {}, ""
        if (match := self.protection.fullmatch(note)) and (day := self.date(match.group(1))):
            return "protection_extended", {"date": day.isoformat()}, ""
        *written, last = note.split("\n")
        if match := self.changed.fullmatch(last):
            labels = match.group(1).split(", ")
            if all(label in self.fields for label in labels):
                names = [self.fields[label] for label in labels]
                return "changed", {"fields": names}, "\n".join(written)
        return None


def notes_to_codes(apps, schema_editor):
    StageChange = apps.get_model("deals", "StageChange")
    languages = [Texts(language) for language in LANGUAGES]
    for change in StageChange.objects.filter(system_code="").exclude(note="").iterator():
        for texts in languages:
            if converted := texts.convert(change.note):
                change.system_code, change.system_params, change.note = converted
                change.save(update_fields=["system_code", "system_params", "note"])
                break


def codes_to_notes(apps, schema_editor):
    """Back to stored text, in English (the language of the source code)."""
    StageChange = apps.get_model("deals", "StageChange")
    for change in StageChange.objects.exclude(system_code="").iterator():
        params = change.system_params or {}
        if change.system_code not in ("changed", "protection_extended", *FIXED):
            continue  # a code added after this migration: its own migration handles it
        if change.system_code == "changed":
            text = CHANGED % {"fields": ", ".join(FIELDS[n] for n in params.get("fields", []))}
        elif change.system_code == "protection_extended":
            text = PROTECTION % {"date": params.get("date", "")}
        else:
            text = FIXED[change.system_code]
        change.note = "\n".join(part for part in (change.note, text) if part)
        change.system_code, change.system_params = "", {}
        change.save(update_fields=["system_code", "system_params", "note"])


class Migration(migrations.Migration):
    dependencies = [("deals", "0004_stagechange_system_note")]

    operations = [migrations.RunPython(notes_to_codes, codes_to_notes)]
