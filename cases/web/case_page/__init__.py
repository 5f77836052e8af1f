"""The agent console's case page (/console/cases/<number>/): state and transitions, SLA timers,
client and credit-account panels, the margin call's top-up, deadline and call log, the timeline,
and the forms to reply, note, assign, change priority and log calls.

views.py reads (the page, its htmx partials, the version poll); actions.py writes
through the same services as the API; panels.py (timers, timeline, client) and
account_panels.py (credit account, margin call) build what each panel shows from the shared
selectors; forms.py draws the forms and checks input with the API's serializers; charts.py is
the geometry of the ratio gauge and sparkline."""
