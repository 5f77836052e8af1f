"""Cursor pages whose cursor is checked before it reaches a query."""

from django.core.exceptions import FieldDoesNotExist, ValidationError
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination


class CheckedCursorPagination(CursorPagination):
    """DRF's cursor pages, refusing a cursor whose position the ordering's field cannot hold (p=abc for an
    id, a NUL byte for an account number) as DRF refuses a cursor it cannot decode: 404 "Invalid cursor".
    DRF put the position into the query as it came, and the query raised a 500."""

    def paginate_queryset(self, queryset, request, view=None):
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None and not self._position_fits(cursor.position):
            raise NotFound(self.invalid_cursor_message)
        return cursor

    def _position_fits(self, position: str) -> bool:
        if "\x00" in position:  # no text column holds one (PostgreSQL refuses it in a query)
            return False
        name = self.ordering[0].lstrip("-") if isinstance(self.ordering, (list, tuple)) else self.ordering.lstrip("-")
        try:
            field = self._model._meta.get_field(name)
        except FieldDoesNotExist:  # ordered through a relation: the text check above is all there is
            return True
        try:
            return field.to_python(position) is not None
        except ValidationError:
            return False
