"""In-app notices (the bell in the console and portal) need no delivery: the row is the notice,
sent the moment it is written; read_at is set when its recipient opens it."""


def send(notification) -> str:
    return ""
