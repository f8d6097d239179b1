"""Sign in and out, on tenant hosts and on the partner console."""

from django.contrib.auth import views as auth_views

from apps.accounts.forms import PartnerSignInForm, SignInForm


class TenantLoginView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class PartnerLoginView(auth_views.LoginView):
    form_class = PartnerSignInForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass
