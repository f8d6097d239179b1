"""The API reference page works under the Content-Security-Policy: no inline script, the
Swagger UI files come from this server (no CDN)."""

import re

from tests.conftest import sign_in


def test_docs_page_loads_its_script_from_this_server(client_a):
    sign_in(client_a, "alice@alpha.test")
    page = client_a.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "script-src 'self'" in page["Content-Security-Policy"]
    inline = [s for s in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S) if s[1].strip()]
    assert inline == []
    sources = re.findall(r'<script[^>]+src="([^"]+)"', html)
    assert sources
    assert all(src.startswith("/") for src in sources)
    script = client_a.get(next(src for src in sources if "script" in src))
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.content.decode()
