"""What every web form of the product shares."""

from django import forms


class LabelForm(forms.Form):
    """No ":" after the labels: Django's default suffix would follow every Chinese label, and the
    Chinese labels read better without (none end in a colon)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
