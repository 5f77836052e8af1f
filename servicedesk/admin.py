"""Admin pieces shared by the apps."""

from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import EmptyResultSet, ValidationError
from django.forms import ModelMultipleChoiceField

INT64 = 2**63


class CheckedLookupsChangeList(ChangeList):
    """A list whose query string asks for a value no database query can hold (`created_at__year=99999`,
    a `created_at__gte` of 0001-01-01 in Shanghai time, before UTC's year 1) is refused as Django
    refuses any other bad lookup (back to the list with `?e=1`), not answered with a server error:
    the query is compiled here, where the error can still be told apart."""

    def get_queryset(self, request, exclude_parameters=None):
        try:
            queryset = super().get_queryset(request, exclude_parameters)
        # The date hierarchy's `date__year=`: past a C long an OverflowError (Django catches ValueError only
        # there), and 9999 a ValueError Django does not catch (the year after it, the range's end, has no date).
        except (OverflowError, ValueError) as error:
            raise IncorrectLookupParameters(error) from error
        try:
            _sql, params = queryset.query.get_compiler(queryset.db).as_sql()
        except EmptyResultSet:  # a filter that matches nothing (queryset.none()): a valid, empty list
            return queryset
        except (ValueError, OverflowError) as error:
            raise IncorrectLookupParameters(error) from error
        # A key past 64 bits through a relation (`members=1234…`, 23 digits): SQLite fails to bind it.
        if any(isinstance(param, int) and not -INT64 <= param < INT64 for param in params):
            raise IncorrectLookupParameters("an integer beyond 64 bits")
        # A NUL character (a choice filter's `state=%00`): PostgreSQL refuses it in any text value.
        if any(isinstance(param, str) and "\x00" in param for param in params):
            raise IncorrectLookupParameters("a NUL character")
        return queryset


def is_key(field, candidate) -> bool:
    """Whether `candidate` can be a value of the key `field` at all (a 23-digit number, `abc` for an
    integer key: no), asked before Django looks it up and the database fails on it."""
    try:
        field.run_validators(field.to_python(candidate))
    except ValidationError:
        return False
    return True


class CheckedKeysMultipleChoiceField(ModelMultipleChoiceField):
    """Django's many-to-many choice, with a value that is no key at all (23 digits, past any
    database integer) an invalid choice on the form: Django's own looks it up, and SQLite fails to
    bind it (a server error)."""

    def _check_values(self, value):
        model = self.queryset.model
        target = model._meta.get_field(self.to_field_name) if self.to_field_name else model._meta.pk
        for candidate in value:
            if not is_key(target, candidate):
                raise ValidationError(self.error_messages["invalid_pk_value"], code="invalid_pk_value",
                                      params={"pk": candidate})
        return super()._check_values(value)


class CheckedLookups:
    """Every admin list of the project: CheckedLookupsChangeList; every many-to-many field:
    CheckedKeysMultipleChoiceField."""

    def get_changelist(self, request, **kwargs):
        return CheckedLookupsChangeList

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs.setdefault("form_class", CheckedKeysMultipleChoiceField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def response_action(self, request, queryset):
        """An action on rows sent back with a value that is no key at all (`_selected_action=abc`, 23
        digits) leaves that value out, and with none left says that no rows were selected, as Django says
        it for none: Django's own looked the value up and failed with a server error."""
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        keys = [value for value in selected if is_key(self.opts.pk, value)]
        if len(keys) < len(selected):
            request.POST = request.POST.copy()
            request.POST.setlist(helpers.ACTION_CHECKBOX_NAME, keys)
        return super().response_action(request, queryset)


class ModelAdmin(CheckedLookups, admin.ModelAdmin):
    """The project's ModelAdmin (lists refuse impossible lookup values; see CheckedLookupsChangeList)."""


def check_every_list(site: admin.AdminSite = admin.site) -> None:
    """The lists of the packages' admins (axes' logs, celery beat's tasks: superusers) refuse impossible
    lookup values too: `path_info=%00` or a year past a C long answered there with a server error."""
    for model_admin in site._registry.values():
        if not isinstance(model_admin, CheckedLookups):
            model_admin.get_changelist = lambda request, **kwargs: CheckedLookupsChangeList


class CheckedAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete select, able to show a form sent back with a value that is no key at
    all (`abc` for a security): it selects nothing, and the field's error says why (Django's own
    looks the value up and fails with a server error)."""

    def optgroups(self, name, value, attr=None):
        target = self.field.target_field
        return super().optgroups(name, [candidate for candidate in value if is_key(target, candidate)], attr)


class ReadOnlyAdmin(ModelAdmin):
    """For records the system writes (monitoring results, ratings, audit rows): shown, never
    added, changed or deleted by hand."""

    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def labelled_filter(field: str, title, labels: dict) -> type[admin.SimpleListFilter]:
    """A list filter for a code column without choices on the field (a line, a run's trigger):
    its codes by their labels, in the reader's language, and no DISTINCT over the table."""

    class LabelledFilter(admin.SimpleListFilter):
        parameter_name = field

        def lookups(self, request, model_admin):
            return list(labels.items())

        def queryset(self, request, queryset):
            return queryset.filter(**{field: self.value()}) if self.value() else queryset

    LabelledFilter.title = title
    return LabelledFilter
