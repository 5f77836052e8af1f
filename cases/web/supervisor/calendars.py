"""The business calendars (supervisor:calendars): every calendar with its years, estimated or
confirmed and by whom; a year's holidays and make-up working days. Supervisors confirm years and
edit days (cases/services/calendars.py); auditors read."""

from django import forms
from django.contrib import messages
from django.db.models import Count, Prefetch, Q
from django.db.models.functions import ExtractYear
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from cases.calendars import unconfirmed_years
from cases.models import BusinessCalendar, CalendarDay, CalendarYear
from cases.services.calendars import calendar_day_add, calendar_day_remove, calendar_year_confirm_checked
from cases.web.supervisor.access import CALENDAR_READERS, forbidden, is_supervisor, page_for
from servicedesk.errors import ApplicationError
from servicedesk.forms import LabelForm

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
HOLIDAY, WORKDAY = "holiday", "workday"


class DayForm(LabelForm):
    date = forms.DateField(label=gettext_lazy("Date"), input_formats=["%Y-%m-%d"], widget=DATE_WIDGET)
    kind = forms.ChoiceField(label=gettext_lazy("Kind of day"), choices=[
        (HOLIDAY, gettext_lazy("Holiday (no work)")), (WORKDAY, gettext_lazy("Make-up working day (调休)"))])
    name = forms.CharField(label=gettext_lazy("Name (Chinese)"), max_length=100, required=False)
    name_en = forms.CharField(label=gettext_lazy("Name (English)"), max_length=100, required=False)


class RemoveDayForm(forms.Form):
    date = forms.DateField(input_formats=["%Y-%m-%d"])


def _calendar_year(code: str, year: int) -> CalendarYear:
    found = CalendarYear.objects.select_related("calendar", "confirmed_by").filter(calendar__code=code, year=year).first()
    if found is None:
        raise Http404
    return found


@page_for(*CALENDAR_READERS)
def calendars(request):
    years = CalendarYear.objects.select_related("confirmed_by").order_by("-year")
    calendar_list = list(BusinessCalendar.objects.prefetch_related(Prefetch("years", queryset=years)).order_by("code"))
    counts = {(row["calendar_id"], row["year"]): row for row in
              CalendarDay.objects.annotate(year=ExtractYear("date")).values("calendar_id", "year")
              .annotate(holidays=Count("id", filter=Q(is_business_day=False)),
                        workdays=Count("id", filter=Q(is_business_day=True))).order_by()}
    rows = [{"calendar": calendar, "years": [
        {"year": year, "holidays": counts.get((calendar.pk, year.year), {}).get("holidays", 0),
         "workdays": counts.get((calendar.pk, year.year), {}).get("workdays", 0)}
        for year in calendar.years.all()]} for calendar in calendar_list]
    return render(request, "supervisor/calendars.html", {
        "rows": rows, "can_change": is_supervisor(request.user), "unconfirmed": unconfirmed_years()})


def _year_page(request, calendar_year: CalendarYear, *, form: DayForm | None = None, status: int = 200,
               error: str = ""):
    days = CalendarDay.objects.filter(calendar=calendar_year.calendar, date__year=calendar_year.year).order_by("date")
    return render(request, "supervisor/calendar_year.html", {
        "calendar_year": calendar_year, "calendar": calendar_year.calendar, "days": days,
        "form": form or DayForm(initial={"kind": HOLIDAY}), "can_change": is_supervisor(request.user),
        "error": error}, status=status)


@page_for(*CALENDAR_READERS)
def calendar_year(request, code: str, year: int):
    return _year_page(request, _calendar_year(code, year))


@require_POST
@page_for(*CALENDAR_READERS)
def confirm_year(request, code: str, year: int):
    calendar_year = _calendar_year(code, year)
    if not is_supervisor(request.user):
        return forbidden(request, _("Only a supervisor may change the calendars."))
    try:
        calendar_year_confirm_checked(calendar_year=calendar_year, user=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
        return _status(calendars(request), error.status_code)
    messages.success(request, _("%(calendar)s %(year)s confirmed.") % {
        "calendar": calendar_year.calendar.localized_name, "year": year})
    return redirect("supervisor:calendars")


def _status(response, status: int):
    response.status_code = status
    return response


@require_POST
@page_for(*CALENDAR_READERS)
def add_day(request, code: str, year: int):
    calendar_year = _calendar_year(code, year)
    if not is_supervisor(request.user):
        return forbidden(request, _("Only a supervisor may change the calendars."))
    form = DayForm(request.POST)
    if not form.is_valid():
        return _year_page(request, calendar_year, form=form, status=400)
    data = form.cleaned_data
    try:
        calendar_day_add(calendar_year=calendar_year, date=data["date"], is_business_day=data["kind"] == WORKDAY,
                         name=data["name"], name_en=data["name_en"], user=request.user)
    except ApplicationError as error:
        for field, problems in (error.extra or {}).items():
            for problem in problems:
                form.add_error(field if field in form.fields else None, problem)
        return _year_page(request, calendar_year, form=form, status=error.status_code,
                          error="" if error.extra else str(error.message))
    messages.success(request, _("%(date)s added.") % {"date": data["date"].isoformat()})
    return redirect("supervisor:calendar_year", code=code, year=year)


@require_POST
@page_for(*CALENDAR_READERS)
def remove_day(request, code: str, year: int):
    calendar_year = _calendar_year(code, year)
    if not is_supervisor(request.user):
        return forbidden(request, _("Only a supervisor may change the calendars."))
    form = RemoveDayForm(request.POST)
    if not form.is_valid():
        return _year_page(request, calendar_year, status=400, error=_("Choose a valid date to remove."))
    try:
        calendar_day_remove(calendar_year=calendar_year, date=form.cleaned_data["date"], user=request.user)
    except ApplicationError as error:
        return _year_page(request, calendar_year, status=error.status_code, error=str(error.message))
    messages.success(request, _("%(date)s removed.") % {"date": form.cleaned_data["date"].isoformat()})
    return redirect("supervisor:calendar_year", code=code, year=year)
