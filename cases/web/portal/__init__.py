"""The client portal (/portal/): a client's credit accounts in plain words, their cases, submitting
tickets, disputes and requests, replying, rating, and the knowledge base. Thin views over the same
selectors and services as the API; a client never sees internal notes, other clients, staff-only
fields or SLA targets."""
