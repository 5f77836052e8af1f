"""Running the import commands in tests (the core system's files: clients, accounts, positions, prices)."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation


def rejected(command: str, path) -> list[str]:
    """Run an import that must fail: exit status 1, every problem on stderr as file:line: column: reason."""
    err = io.StringIO()
    with translation.override("en"), pytest.raises(CommandError) as failure:
        call_command(command, str(path), stdout=io.StringIO(), stderr=err)
    assert failure.value.returncode == 1
    assert "nothing was written" in str(failure.value)
    return err.getvalue().splitlines()
