"""Staff saves in Django admin that go through a service, and the refusals they meet.

Admin's own save writes the form's fields into the row. Where a field belongs to a rule (a
role, a suspension, a contract's dates), the ModelAdmin instead calls the service that owns the
rule, from `save_model` / `save_related`, inside `refusals()`. A refusal (the service's
ValidationError or its own error) becomes `Refused`; `ServiceAdminMixin.changeform_view`
catches it after Django's transaction around the save has rolled everything back, and renders
the same POST again with the refusal added to the form: the page shows the message on the
field it concerns (or above the form), with everything the staff member typed still in it,
and nothing is saved, not even admin's history entry.

Why a second pass rather than calling the service from the form's `clean()`: the service
runs once, where Django expects writes, after every form and inline validated, on the locked
row; the second pass only validates (an invalid form never saves).
"""

from contextlib import contextmanager

from django.core.exceptions import ValidationError


class Refused(Exception):
    """A service refused the admin save; `error` is the ValidationError to show."""

    def __init__(self, error):
        if not isinstance(error, ValidationError):
            error = ValidationError(str(error))
        self.error = error
        super().__init__(" ".join(error.messages))


@contextmanager
def refusals(*errors: type[Exception]):
    """Turn a service's ValidationError (and the `errors` given, such as TeamError) into
    Refused, for ServiceAdminMixin to show on the form."""
    try:
        yield
    except (ValidationError, *errors) as error:
        raise Refused(error) from error


def add_refusal(form, error: ValidationError, *, fields: dict | None = None) -> None:
    """Put the refusal on the form: keyed messages on the field of that name (or the one
    `fields` maps it to), everything else above the form."""
    fields = fields or {}
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for key, messages in error.message_dict.items():
        name = fields.get(key, key)
        form.add_error(name if name in form.fields else None, messages)


class ServiceAdminMixin:
    """For a ModelAdmin whose saves call services inside `refusals()`: a refusal re-renders
    the change form with the error and the staff member's input (see the module's text).

    `refusal_fields` maps a service's error key to the form field that shows it (for
    example {"rates": "__all__"}); unknown keys show above the form.
    """

    refusal_fields: dict = {}

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except Refused as refusal:
            # Django's atomic block around the save rolled back on the way out. The same POST
            # again, now with the refusal on the form, so it renders instead of saving.
            request.admin_refusal = refusal.error
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, **kwargs):
        form_class = super().get_form(request, obj, **kwargs)
        refusal = getattr(request, "admin_refusal", None)
        if refusal is None:
            return form_class
        fields = self.refusal_fields

        class RefusedForm(form_class):
            def clean(self):
                cleaned = super().clean()
                add_refusal(self, refusal, fields=fields)
                return cleaned

        RefusedForm.__name__ = form_class.__name__
        return RefusedForm


def adopt(obj, made) -> None:
    """Make the admin's unsaved `obj` stand for the row the service created (`made`), so
    admin's history entry and redirect after an add point at it."""
    for field in made._meta.concrete_fields:
        setattr(obj, field.attname, getattr(made, field.attname))
    obj._state.adding = False
    obj._state.db = made._state.db


def save_plain_fields(obj, form, *, owned: tuple[str, ...] = ()) -> None:
    """Save only the model fields the staff member changed, leaving out those a service owns
    (`owned`): a change committed meanwhile by a service or the portal is not written back."""
    names = {field.name for field in obj._meta.concrete_fields}
    fields = [name for name in form.changed_data if name in names and name not in owned]
    if fields:
        obj.save(update_fields=fields)
