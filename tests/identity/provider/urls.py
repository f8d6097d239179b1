import json

from django.contrib.auth import views as auth_views
from django.http import HttpResponse, JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.models import get_application_model

from tests.identity.provider.validator import MODE


@csrf_exempt
def control(request):
    """Test-only switch: the misbehaviour mode, and redirect URIs of a client."""
    body = json.loads(request.body or b"{}")
    if "mode" in body:
        MODE["value"] = body["mode"]
    for client_id, uris in body.get("redirect_uris", {}).items():
        application = get_application_model().objects.get(client_id=client_id)
        known = application.redirect_uris.split()
        application.redirect_uris = " ".join(dict.fromkeys([*known, *uris]))
        application.save(update_fields=["redirect_uris"])
    return JsonResponse({"mode": MODE["value"]})


def home(request):
    return HttpResponse("Test identity provider")


urlpatterns = [
    path("", home),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("_test/control", control),
]
