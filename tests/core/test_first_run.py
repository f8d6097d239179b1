"""A tenant admin's home lists what is left to set up; other people never see it."""

from tests.conftest import sign_in


def test_admin_sees_the_checklist_and_others_never(client_a, tenant_a):
    sign_in(client_a, "alice@alpha.test")
    home = client_a.get("/").content.decode()
    assert 'data-testid="first-run"' in home  # alpha has no logo yet
    assert 'data-testid="first-run-invite"' in home
    assert 'class="done"' in home  # people, roles and workflows exist in the test tenant
    other = client_a.__class__(HTTP_HOST="alpha.localhost")
    sign_in(other, "carol@alpha.test")
    page = other.get("/").content.decode()
    assert 'data-testid="first-run"' not in page
    assert 'data-testid="home-links"' in page
