"""A form sent twice does its work once: a double click, or the page sent again, posts the same form
twice. Each drawing of the form carries a key of its own (a hidden field); the service takes the key
with a fingerprint of what the form carries, so the same form sent again is the first sending again,
while the same form edited and sent (the back button, a correction) is a new one
(cases.services.submissions, cases.services.messages)."""

import uuid

from django import forms

from cases.services.submissions import fingerprint


class SentOnceForm(forms.Form):
    submission = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("submission", uuid.uuid4().hex)

    def sent_key(self, origin: str, content) -> str:
        """The key for the service: where the form is (`origin`: "portal", "console"…), its own key and
        the fingerprint of `content`; "" (no guard) when the form came without its key."""
        key = self.cleaned_data.get("submission", "")
        return f"{origin}:{key}:{fingerprint(content)}" if key else ""
