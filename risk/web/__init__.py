"""Web pages of the risk officer."""
