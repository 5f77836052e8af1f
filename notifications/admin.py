from notifications import inbound_admin  # noqa: F401  (inbound e-mail)
