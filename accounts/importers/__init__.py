"""Imports from the firm's core system (see `accounts_import` and `prices_import`).

Each import reads and checks everything first and lists every problem as
`file:line: column: reason` (line 1 is the header); only a clean import writes, in one
transaction. Files are UTF-8 (with or without BOM) or GB18030.
"""

from accounts.importers.accounts import ACCOUNT_FILES, accounts_import
from accounts.importers.base import FileSummary, ImportRejected, ImportResult
from accounts.importers.prices import prices_import
from accounts.importers.reading import ISSUES_PRINTED, Issue, Issues

__all__ = ["ACCOUNT_FILES", "ISSUES_PRINTED", "FileSummary", "ImportRejected", "ImportResult", "Issue", "Issues",
           "accounts_import", "prices_import"]
