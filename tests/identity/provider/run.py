"""Start the test OpenID Connect provider: `python -m tests.identity.provider.run PORT`, with
OIDC_PROVIDER_STATE (signing-key.pem, people.json, clients.json) and OIDC_PROVIDER_ISSUER set."""

import json
import os
import sys
from pathlib import Path


def main() -> None:
    port = int(sys.argv[1])
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.identity.provider.settings"
    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.core.servers.basehttp import run
    from django.core.wsgi import get_wsgi_application
    from oauth2_provider.models import get_application_model

    state = Path(os.environ["OIDC_PROVIDER_STATE"])
    call_command("migrate", verbosity=0, interactive=False)
    for username, person in json.loads((state / "people.json").read_text()).items():
        user = User.objects.create_user(username, person["email"], person["password"])
        for name in person.get("groups", []):
            user.groups.add(Group.objects.get_or_create(name=name)[0])
    Application = get_application_model()
    for client in json.loads((state / "clients.json").read_text()):
        Application.objects.create(
            name=client["client_id"],
            client_id=client["client_id"],
            client_secret=client["client_secret"],
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris=" ".join(client["redirect_uris"]),
            post_logout_redirect_uris=" ".join(client.get("post_logout_redirect_uris", [])),
            algorithm=Application.RS256_ALGORITHM,
            skip_authorization=True,
        )
    run("127.0.0.1", port, get_wsgi_application(), threading=True)


if __name__ == "__main__":
    main()
