"""The forms people type into clean their text at the door (common.text): `CleanTextMixin`.

Every CharField of a form using the mixin (passwords excepted) is NFKC-normalised, refused with a
Chinese message naming the field when it holds format or control characters, stripped and held to a
length limit: the field's own max_length (a ModelForm takes the model's), or, where the model leaves
it open (TextField), `text_limits[name]`, else NOTE_LIMIT for a text area and LINE_LIMIT for a line
(a form's own, tighter check in clean_<field> still speaks first).
Name fields (`name`, `*_name`, or listed in `name_fields`) also collapse inner spaces and use
full-width parentheses. The limit is also set on the widget (maxlength), so the browser stops typing
at the same place.
"""

from django import forms

from .text import LINE_LIMIT, NOTE_LIMIT, TextRefused, clean_text


def _is_name(field_name, names):
    return field_name in names or field_name == "name" or field_name.endswith("_name")


def clean_text_field(field, field_name, *, max_length=None, name=False):
    """Make one CharField clean its text; used by the mixin, usable for a single field."""
    if not isinstance(field, forms.CharField) or isinstance(field.widget, forms.PasswordInput):
        return
    if getattr(field, "_text_cleaned", False):
        return
    field._text_cleaned = True
    multiline = isinstance(field.widget, forms.Textarea)
    # a limit the form checks itself (clean_<field>, with its own words) stays the form's: this one is
    # then only the backstop above it
    limit = field.max_length or max_length or (NOTE_LIMIT if multiline else LINE_LIMIT)
    if field.max_length is None:
        field.max_length = limit
        field.widget.attrs.setdefault("maxlength", str(limit))
    original = field.to_python

    def to_python(value):
        value = original(value)
        if value in field.empty_values:
            return value
        try:
            return clean_text(
                value,
                label=str(field.label or field_name),
                max_length=limit,
                multiline=multiline,
                name=name and not multiline,
            )
        except TextRefused as exc:
            raise forms.ValidationError(exc.message, code="text") from None

    field.to_python = to_python


class CleanTextMixin:
    """Put first in a form's bases: `class MyForm(CleanTextMixin, forms.Form)`."""

    text_limits: dict = {}
    name_fields: tuple = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clean_text_fields()

    def full_clean(self):
        # fields added by a subclass's __init__ after ours ran are covered here
        self._clean_text_fields()
        super().full_clean()

    def _clean_text_fields(self):
        for field_name, field in self.fields.items():
            clean_text_field(
                field,
                field_name,
                max_length=self.text_limits.get(field_name),
                name=_is_name(field_name, self.name_fields),
            )
