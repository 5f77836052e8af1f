"""`manage.py add_user` with input the operator may get wrong: one clear error, nothing written."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from accounts.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "Margin-Desk-2026!"


def add_user(monkeypatch, *args, password=PASSWORD):
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{password}\n"))
    call_command("add_user", *args, "--password-stdin", stdout=io.StringIO(), stderr=io.StringIO())


def test_a_username_longer_than_the_field_is_refused(monkeypatch):
    """SQLite stored a 200-character username as given; PostgreSQL failed with a trace (varchar(150))."""
    with translation.override("en"), pytest.raises(CommandError, match="at most 150 characters"):
        add_user(monkeypatch, "a" * 151, "--role", "agent")
    assert not User.objects.filter(username__startswith="aaa").exists()
    add_user(monkeypatch, "a" * 150, "--role", "agent")
    assert User.objects.filter(username="a" * 150).exists()


def test_a_password_that_is_not_utf8_is_refused(monkeypatch):
    """Bytes that are not UTF-8 reach Python as lone surrogates: hashing them failed with a trace."""
    with translation.override("en"), pytest.raises(CommandError, match="not UTF-8"):
        add_user(monkeypatch, "li.na", "--role", "agent", password="\udcff\udcfeMargin-Desk-2026")
    assert not User.objects.filter(username="li.na").exists()
