"""Log in, log out, change password, and each role's home page."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from accounts.navigation import home_url_for


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each role to its own home page."""
    url = home_url_for(request.user)
    if url is None:
        return render(request, "web/no_home.html", status=403)
    return redirect(url)


class NoLabelSuffix:
    """Django's forms of these views without the ":" after each label, as servicedesk.forms.LabelForm
    has every other form of the pages (it followed the Chinese labels)."""

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "label_suffix": ""}


class LoginView(NoLabelSuffix, auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class PasswordChangeView(NoLabelSuffix, auth_views.PasswordChangeView):
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password has been changed."))
        return response
