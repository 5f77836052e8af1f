"""Web pages for case work: the agent console, the supervisor pages and the client portal."""
