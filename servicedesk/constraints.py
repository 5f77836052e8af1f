"""Constraints the database must hold whatever it supports."""

from django.db import models


class CoveredUniqueConstraint(models.UniqueConstraint):
    """A unique constraint whose `include` columns only let reads come from the index alone.

    Django leaves a constraint with `include` out altogether on a database that cannot cover
    (SQLite), so the uniqueness would go with it. This one is built there without the included
    columns: the uniqueness holds on every database, the covering only where it can."""

    def _as_built(self, schema_editor):
        """What the database builds: this constraint, or the same without `include` where it cannot cover."""
        if not self.include or schema_editor.connection.features.supports_covering_indexes:
            return super()
        return models.UniqueConstraint(
            *self.expressions, fields=self.fields, name=self.name, condition=self.condition,
            deferrable=self.deferrable, opclasses=self.opclasses, nulls_distinct=self.nulls_distinct,
            violation_error_code=self.violation_error_code, violation_error_message=self.violation_error_message,
        )

    def constraint_sql(self, model, schema_editor):
        return self._as_built(schema_editor).constraint_sql(model, schema_editor)

    def create_sql(self, model, schema_editor):
        return self._as_built(schema_editor).create_sql(model, schema_editor)

    def remove_sql(self, model, schema_editor):
        return self._as_built(schema_editor).remove_sql(model, schema_editor)
