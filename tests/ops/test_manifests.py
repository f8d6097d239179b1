"""Checks of everything under deploy/: structure (PyYAML), the Kubernetes objects against the
API's OpenAPI schemas (kubernetes-validate, offline), the compose file with `docker-compose
config` (installed by deploy/bootstrap.sh; no Docker engine needed) and, where kubectl is
installed, `kubectl kustomize`. `kubectl apply --dry-run` needs an API server and is not run."""

import gc
import re
import shutil
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
K8S = DEPLOY / "k8s"
COMPOSE = DEPLOY / "compose" / "docker-compose.yml"
APP_IMAGE_K8S = "countersign"  # rewritten by kustomization.yaml `images:`
KUBERNETES_VERSION = "1.30.0"  # the oldest minor version the manifests promise to work on
COMPOSE_ENV = {
    "SECRET_KEY": "x" * 50,
    "SECRETS_ENCRYPTION_KEYS": "k" * 44,
    "POSTGRES_PASSWORD": "p",
    "DB_OWNER_PASSWORD": "o",
    "DB_APP_PASSWORD": "a",
    "AUDIT_SIGNING_KEY": "s" * 44,
    "PLATFORM_DOMAIN": "approvals.example.com",
    "ACME_EMAIL": "ops@example.com",
}
SECRET_ENV_NAMES = re.compile(
    r"(SECRET|PASSWORD|TOKEN|ENCRYPTION_KEYS|DATABASE_URL|REDIS_URL|API_KEY)", re.IGNORECASE
)


def _yaml_files() -> list[Path]:
    return sorted(p for p in DEPLOY.rglob("*") if p.suffix in {".yml", ".yaml"})


def _k8s_docs() -> list[dict]:
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        docs += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    return docs


def _of_kind(kind: str) -> list[dict]:
    return [doc for doc in _k8s_docs() if doc.get("kind") == kind]


def _containers(doc: dict) -> list[dict]:
    return doc["spec"]["template"]["spec"]["containers"]


def test_every_yaml_file_parses():
    files = _yaml_files()
    assert len(files) >= 8
    for path in files:
        docs = list(yaml.safe_load_all(path.read_text()))
        assert any(docs), path


def test_kubernetes_objects_are_complete():
    kinds = [doc["kind"] for doc in _k8s_docs()]
    for kind in ("Deployment", "Service", "ConfigMap", "Job", "HorizontalPodAutoscaler"):
        assert kind in kinds
    names = {doc["metadata"]["name"] for doc in _of_kind("Deployment")}
    assert names == {"countersign-web", "countersign-worker", "countersign-beat", "pgbouncer"}
    hpa_targets = {
        doc["spec"]["scaleTargetRef"]["name"] for doc in _of_kind("HorizontalPodAutoscaler")
    }
    assert hpa_targets == {"countersign-web", "countersign-worker"}
    beat = next(d for d in _of_kind("Deployment") if d["metadata"]["name"] == "countersign-beat")
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"]["type"] == "Recreate"
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == on_disk


def test_every_deployment_has_probes_resources_and_a_selector_that_matches():
    for doc in _of_kind("Deployment"):
        name = doc["metadata"]["name"]
        template_labels = doc["spec"]["template"]["metadata"]["labels"]
        for key, value in doc["spec"]["selector"]["matchLabels"].items():
            assert template_labels.get(key) == value, name
        for container in _containers(doc):
            assert "livenessProbe" in container, name
            assert "readinessProbe" in container, name
            resources = container["resources"]
            assert {"cpu", "memory"} <= resources["requests"].keys(), name
            assert {"cpu", "memory"} <= resources["limits"].keys(), name
    web = next(d for d in _of_kind("Deployment") if d["metadata"]["name"] == "countersign-web")
    container = _containers(web)[0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_app_images_are_referenced_consistently():
    workloads = _of_kind("Deployment") + _of_kind("Job")
    app_images = {
        c["image"]
        for doc in workloads
        if doc["metadata"]["name"] != "pgbouncer"
        for c in _containers(doc)
    }
    assert app_images == {APP_IMAGE_K8S}
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert [i["name"] for i in kustomization["images"]] == [APP_IMAGE_K8S]
    compose = yaml.safe_load(COMPOSE.read_text())
    app_services = ("web", "worker", "beat", "migrate")
    images = {compose["services"][s].get("image", compose["x-app"]["image"]) for s in app_services}
    assert len(images) == 1
    for pgbouncer in (d for d in _of_kind("Deployment") if d["metadata"]["name"] == "pgbouncer"):
        image = _containers(pgbouncer)[0]["image"]
        assert ":" in image
        assert not image.endswith(":latest")


def _env_entries(doc: dict) -> list[dict]:
    entries = []
    for container in _containers(doc):
        entries += container.get("env", [])
    return entries


def test_no_literal_secret_values():
    for doc in _of_kind("Deployment") + _of_kind("Job"):
        for entry in _env_entries(doc):
            if SECRET_ENV_NAMES.search(entry["name"]):
                assert "value" not in entry, (doc["metadata"]["name"], entry["name"])
                assert "secretKeyRef" in entry["valueFrom"], entry["name"]
    assert not _of_kind("Secret"), "Secrets are created out of band, never committed"
    for config_map in _of_kind("ConfigMap"):
        for key in config_map.get("data", {}):
            assert not SECRET_ENV_NAMES.search(key), key
    # compose: secrets come from .env through ${VAR:?...}, never written inline
    compose = yaml.safe_load(COMPOSE.read_text())
    env_maps = [compose["x-app"]["environment"]] + [
        s.get("environment", {}) for s in compose["services"].values()
    ]
    for env in env_maps:
        for key, value in env.items():
            if SECRET_ENV_NAMES.search(key) and key != "REDIS_URL":
                assert "${" in str(value), key
    for path in _yaml_files():
        text = path.read_text()
        assert not re.search(r"-----BEGIN [A-Z ]*PRIVATE KEY-----", text), path


def test_web_app_env_comes_from_configmap_and_secret():
    for doc in _of_kind("Deployment") + _of_kind("Job"):
        if doc["metadata"]["name"] == "pgbouncer":
            continue
        container = _containers(doc)[0]
        assert container["envFrom"] == [{"configMapRef": {"name": "countersign-config"}}]
        names = {entry["name"] for entry in _env_entries(doc)}
        assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "SECRETS_ENCRYPTION_KEYS"} <= names


def test_pgbouncer_runs_in_session_mode_with_the_reason_written_down():
    config = next(d for d in _of_kind("ConfigMap") if d["metadata"]["name"] == "pgbouncer-config")
    assert config["data"]["PGBOUNCER_POOL_MODE"] == "session"
    deployment = next(d for d in _of_kind("Deployment") if d["metadata"]["name"] == "pgbouncer")
    env = {e["name"]: e for e in _env_entries(deployment)}
    assert env["POOL_MODE"]["valueFrom"]["configMapKeyRef"]["key"] == "PGBOUNCER_POOL_MODE"
    text = (K8S / "pgbouncer.yaml").read_text()
    assert "search_path" in text
    assert "transaction" in text
    assert "transaction" not in config["data"]["PGBOUNCER_POOL_MODE"]
    services = {d["metadata"]["name"] for d in _of_kind("Service")}
    assert "pgbouncer" in services


def test_migration_job_runs_the_migrate_process():
    job = _of_kind("Job")[0]
    assert _containers(job)[0]["args"] == ["migrate"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    entrypoint = (DEPLOY / "docker" / "entrypoint.sh").read_text()
    shared = entrypoint.index("migrate_schemas --shared")
    template = entrypoint.index("template_schema_ensure")
    tenants = entrypoint.index("migrate_schemas --tenant --noinput --executor=multiprocessing")
    assert shared < template < tenants


def test_compose_single_host_install():
    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    assert set(services) == {"web", "worker", "beat", "migrate", "postgres", "redis", "caddy"}
    assert services["postgres"]["image"] == "postgres:16"
    assert services["redis"]["image"] == "redis:7"
    assert services["migrate"]["restart"] == "no"
    for name in ("web", "worker", "beat"):
        condition = services[name]["depends_on"]["migrate"]["condition"]
        assert condition == "service_completed_successfully"
    caddyfile = (DEPLOY / "compose" / "Caddyfile").read_text()
    assert "on_demand" in caddyfile
    assert "/tls/ask" in caddyfile
    assert "reverse_proxy web:8000" in caddyfile


def test_dockerfile_and_gunicorn_config():
    dockerfile = (DEPLOY / "docker" / "Dockerfile").read_text()
    assert dockerfile.startswith("#")
    assert "FROM python:3.11-slim" in dockerfile
    for needle in (
        "libpango-1.0-0",
        "libharfbuzz0b",
        "fonts-dejavu-core",
        "pip install .",
        "collectstatic",
        "config.settings.production",
        "HEALTHCHECK",
        "/healthz",
    ):
        assert needle in dockerfile, needle  # fmt: skip
    user_lines = [line for line in dockerfile.splitlines() if line.startswith("USER ")]
    assert user_lines
    assert user_lines[-1] != "USER root"
    namespace: dict = {}
    source = (DEPLOY / "gunicorn.conf.py").read_text()
    exec(compile(source, "gunicorn.conf.py", "exec"), namespace)  # noqa: S102 - our own file
    assert namespace["worker_class"] in {"sync", "gthread"}
    assert namespace["bind"] == "0.0.0.0:8000"


def test_a_gunicorn_worker_freezes_what_it_loaded():
    """After loading the app a worker moves its start-up heap to the permanent generation, so
    full collections neither count nor walk it (deploy/gunicorn.conf.py post_worker_init)."""
    namespace: dict = {}
    source = (DEPLOY / "gunicorn.conf.py").read_text()
    exec(compile(source, "gunicorn.conf.py", "exec"), namespace)  # noqa: S102 - our own file
    loaded = [{"code": str(n)} for n in range(1000)]  # stands for the app's objects
    assert gc.get_freeze_count() == 0
    try:
        namespace["post_worker_init"](worker=None)
        assert gc.get_freeze_count() >= len(loaded)
        walked = {id(obj) for obj in gc.get_objects()}  # what a full collection walks
        assert not walked & {id(obj) for obj in loaded}
    finally:
        gc.unfreeze()


def test_gunicorn_config_refuses_async_workers(monkeypatch):
    monkeypatch.setenv("GUNICORN_WORKER_CLASS", "gevent")
    source = (DEPLOY / "gunicorn.conf.py").read_text()
    with pytest.raises(SystemExit, match="async workers lose the tenant"):
        exec(compile(source, "gunicorn.conf.py", "exec"), {})  # noqa: S102


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed here")
def test_kustomize_renders_offline():
    """`kubectl kustomize` needs no cluster; `kubectl apply --dry-run=client` does (it asks the
    API server for resource mappings), so it is not run here (see docs/operations.md)."""
    result = subprocess.run(
        ["kubectl", "kustomize", str(K8S)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    docs = [d for d in yaml.safe_load_all(result.stdout) if d]
    assert all(
        d["metadata"].get("namespace") == "countersign" for d in docs if d["kind"] != "Namespace"
    )
    images = {
        c["image"]
        for d in docs
        if d["kind"] in {"Deployment", "Job"} and d["metadata"]["name"] != "pgbouncer"
        for c in d["spec"]["template"]["spec"]["containers"]
    }
    assert images == {"registry.example.com/countersign:latest"}
    for doc in docs:  # what kustomize adds (namespace, image rewrite) still matches the schema
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_shell_scripts_parse():
    for script in (DEPLOY / "docker" / "entrypoint.sh", DEPLOY / "bootstrap.sh"):
        shell = "bash" if script.name == "bootstrap.sh" else "sh"
        result = subprocess.run([shell, "-n", str(script)], capture_output=True, check=False)
        assert result.returncode == 0, (script, result.stderr)


def test_kubernetes_objects_match_the_api_schema():
    """Strict: unknown fields are refused too. kustomization.yaml is kustomize's, not the API's."""
    docs = [d for d in _k8s_docs() if d["kind"] != "Kustomization"]
    assert len(docs) >= 10
    for doc in docs:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_the_schema_validator_rejects_a_misspelt_field():
    """The check above can fail: a typo in a container field is refused in strict mode."""
    web = next(d for d in _of_kind("Deployment") if d["metadata"]["name"] == "countersign-web")
    _containers(web)[0]["livenesProbe"] = _containers(web)[0].pop("livenessProbe")
    with pytest.raises(kubernetes_validate.ValidationError, match="livenesProbe"):
        kubernetes_validate.validate(web, KUBERNETES_VERSION, strict=True)


def _compose_command() -> list[str]:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    docker = shutil.which("docker")
    if (
        docker
        and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0
    ):
        return [docker, "compose"]
    pytest.fail(
        "Neither `docker-compose` nor the compose plugin is installed: run deploy/bootstrap.sh"
    )


def _compose_config(compose_file: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*_compose_command(), "--project-directory", str(COMPOSE.parent), "-f", str(compose_file),
         "config", "-q"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", **env},
    )  # fmt: skip


def test_compose_config_validates():
    result = _compose_config(COMPOSE, COMPOSE_ENV)
    assert result.returncode == 0, result.stderr


def test_compose_config_refuses_a_missing_secret_and_an_unknown_key(tmp_path):
    without_secret = {k: v for k, v in COMPOSE_ENV.items() if k != "SECRET_KEY"}
    result = _compose_config(COMPOSE, without_secret)
    assert result.returncode != 0
    assert "set SECRET_KEY in .env" in result.stderr

    broken = yaml.safe_load(COMPOSE.read_text())
    broken["services"]["web"]["restart_policy"] = "always"  # not a compose key
    broken_file = tmp_path / "docker-compose.yml"
    broken_file.write_text(yaml.safe_dump(broken))
    result = _compose_config(broken_file, COMPOSE_ENV)
    assert result.returncode != 0
    assert "restart_policy" in result.stderr


def test_the_migration_jobs_python_names_what_exists():
    """The job's one-liner is only run at deploy time: a renamed function would break it."""
    import apps.tenants.services as services

    entrypoint = (DEPLOY / "docker" / "entrypoint.sh").read_text()
    code = re.search(r'shell --no-imports -c \\\n\s+"([^"]+)"', entrypoint).group(1)
    compile(code, "entrypoint.sh migrate", "exec")
    imported = re.search(r"from apps\.tenants\.services import ([\w, ]+);", code).group(1)
    names = [name.strip() for name in imported.split(",")]
    assert "schema_pool_refill_request" in names
    for name in names:
        assert callable(getattr(services, name, None)), name
