"""What every web form of the product shares."""

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe


class LabelForm(forms.Form):
    """No ":" after the labels: Django's default suffix would follow every Chinese label, and the
    Chinese labels read better without (none end in a colon)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class QuickSelect(forms.Select):
    """A select rendered in Python: the template engine renders each option of a stock Select as
    two included templates (the console list shows eight selects on every request; the case
    page's list of case workers, about 300 of them, took 60–80 ms that way)."""

    def render(self, name, value, attrs=None, renderer=None):
        selected = {str(v) for v in self.format_value(value)}
        options = format_html_join("", '<option value="{}"{}>{}</option>', (
            (option_value, mark_safe(" selected") if str(option_value) in selected else "", label)
            for option_value, label in self.choices
        ))
        return format_html('<select name="{}"{}>{}</select>', name, flatatt(self.build_attrs(self.attrs, attrs)),
                           options)
