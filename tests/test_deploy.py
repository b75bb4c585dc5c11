"""deploy/ is what it claims, checked without Docker: the files parse, compose and Kubernetes
run real `cap` commands with real settings, probes and non-root users are where they belong, and
the Grafana dashboard and Prometheus config ask for metrics the API really exports."""

from __future__ import annotations

import ast
import json
import re
import shlex
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import typer.main
import yaml

from creative_automation.cli import app
from creative_automation.errors import ConfigError
from creative_automation.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
METRICS = ROOT / "src/creative_automation/service/metrics.py"
YAML_FILES = sorted(p for p in DEPLOY.rglob("*") if p.suffix in (".yaml", ".yml"))
# read by something other than Settings (the interpreter); anything else must be a setting
NOT_SETTINGS = {"PYTHONUNBUFFERED"}
# the fsspec driver each storage URL scheme needs in the image
# URL scheme → (the package's extra, the fsspec driver that extra installs)
DRIVERS = {"s3": ("s3", "s3fs"), "s3a": ("s3", "s3fs"), "gs": ("gcs", "gcsfs")}
DRIVERS |= {"gcs": ("gcs", "gcsfs"), "az": ("azure", "adlfs"), "abfs": ("azure", "adlfs")}


def documents(path: Path) -> list[Any]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]


def compose() -> dict[str, Any]:
    data: dict[str, Any] = documents(DEPLOY / "docker-compose.yml")[0]
    return data


def cap_services() -> dict[str, dict[str, Any]]:
    """The compose services that run the cap image."""
    services = compose()["services"]
    return {n: s for n, s in services.items() if "build" in s or s.get("image") == "cap:latest"}


def k8s() -> list[dict[str, Any]]:
    return [d for p in sorted((DEPLOY / "k8s").glob("*.yaml")) for d in documents(p)]


def k8s_object(kind: str, name: str) -> dict[str, Any]:
    found = [d for d in k8s() if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"deploy/k8s has {len(found)} {kind} named {name}"
    return found[0]


def pod_specs() -> Iterator[tuple[str, dict[str, Any]]]:
    for doc in k8s():
        if doc["kind"] in ("Deployment", "Job", "StatefulSet", "DaemonSet"):
            yield f"{doc['kind']}/{doc['metadata']['name']}", doc["spec"]["template"]["spec"]


def dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (INSTRUCTION, arguments), continuations joined."""
    text = re.sub(r"\\\n", " ", (DEPLOY / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines()]
    out = []
    for line in lines:
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def final_stage() -> list[tuple[str, str]]:
    steps = dockerfile()
    last_from = max(i for i, (word, _) in enumerate(steps) if word == "FROM")
    return steps[last_from:]


def check_cap_command(argv: list[str], where: str) -> None:
    """`argv` is a command the `cap` Typer app accepts: each subcommand exists, and the leaf
    command parses the options and values (names, types, ranges) without running."""
    assert argv and argv[0] == "cap", f"{where}: {argv} is not a cap command"
    command: Any = typer.main.get_command(app)
    path, args = ["cap"], list(argv[1:])
    while hasattr(command, "commands"):  # a group: the next word must be one of its commands
        assert args and args[0] in command.commands, (
            f"{where}: {' '.join(argv)}: `{' '.join(path)}` has no command "
            f"{args[0] if args else '(none)'!r}; it has {sorted(command.commands)}"
        )
        path.append(args[0])
        command = command.commands[args.pop(0)]
    try:
        command.make_context(" ".join(path), args)
    except Exception as exc:  # click's usage errors (vendored by typer): say which and why
        pytest.fail(f"{where}: {' '.join(argv)}: {exc}")


def setting_for(name: str) -> str | None:
    """The Settings field an environment variable sets, None when it sets none."""
    aliases: dict[str, str] = {}
    for field, info in Settings.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, str):
            aliases[alias] = field
        elif alias is not None:
            aliases.update({a: field for a in getattr(alias, "choices", []) if isinstance(a, str)})
    if name in aliases:
        return aliases[name]
    field = name.removeprefix("CAP_").lower()
    info = Settings.model_fields.get(field) if name.startswith("CAP_") else None
    # a field with an alias is read from the alias only: CAP_<field> would be ignored
    return field if info is not None and info.validation_alias is None else None


def cap_environments() -> Iterator[tuple[str, dict[str, str]]]:
    """Every set of environment variables given to the cap image, with where it is."""
    for name, service in cap_services().items():
        yield f"docker-compose.yml {name}", {k: str(v) for k, v in service["environment"].items()}
    for doc in k8s():
        if doc["kind"] == "ConfigMap":
            yield f"ConfigMap {doc['metadata']['name']}", dict(doc.get("data", {}))
        if doc["kind"] == "Secret":
            data = {**doc.get("data", {}), **doc.get("stringData", {})}
            yield f"Secret {doc['metadata']['name']}", data
    for where, spec in pod_specs():
        for container in spec["containers"]:
            env = {e["name"]: str(e.get("value", "")) for e in container.get("env", [])}
            yield f"{where} {container['name']}", env
    env = {}
    for word, rest in dockerfile():
        if word == "ENV":
            env.update(dict(item.split("=", 1) for item in shlex.split(rest)))
    yield "Dockerfile", env


# --- every file parses ---


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(DEPLOY)))
def test_every_yaml_file_parses(path: Path) -> None:
    docs = documents(path)
    assert docs and all(isinstance(d, dict) for d in docs)


def test_the_deploy_folder_has_every_piece_the_issue_names() -> None:
    for name in ("Dockerfile", "docker-compose.yml", "prometheus/prometheus.yml"):
        assert (DEPLOY / name).is_file(), name
    assert {"Deployment", "Service", "HorizontalPodAutoscaler", "ConfigMap", "Secret"} <= {
        d["kind"] for d in k8s()
    }
    assert json.loads((DEPLOY / "grafana/cap-dashboard.json").read_text())["panels"]


# --- docker compose ---


def test_compose_runs_api_three_workers_redis_and_postgres() -> None:
    services = compose()["services"]
    assert {"api", "worker", "redis", "postgres"} <= set(services)
    assert services["worker"]["deploy"]["replicas"] == 3
    assert services["api"]["command"][:2] == ["cap", "serve"]
    assert services["worker"]["command"][:2] == ["cap", "worker"]
    assert "ports" not in services["worker"], "replicas cannot share a host port"
    for name, service in services.items():
        for needed in service.get("depends_on", {}):
            assert needed in services, f"{name} depends on a service {needed!r} that is not there"
    for name in ("api", "worker"):
        env = services[name]["environment"]
        assert urlsplit(env["CAP_DATABASE_URL"]).hostname == "postgres"
        assert urlsplit(env["CAP_REDIS_URL"]).hostname == "redis"
    build = services["api"]["build"]
    assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == DEPLOY / "Dockerfile"
    for volume in services["prometheus"]["volumes"]:
        source = volume.split(":")[0]
        assert (DEPLOY / source).is_file(), f"prometheus mounts {source}, which is not there"


def test_every_cap_command_in_compose_is_a_real_cap_command() -> None:
    for name, service in cap_services().items():
        check_cap_command(service["command"], f"docker-compose.yml {name}")


def test_compose_services_that_serve_no_http_turn_the_images_healthcheck_off() -> None:
    healthcheck = " ".join(rest for word, rest in final_stage() if word == "HEALTHCHECK")
    assert "/healthz" in healthcheck, "the image's healthcheck probes the API"
    for name, service in cap_services().items():
        if service["command"][:2] == ["cap", "serve"]:
            continue
        check = service.get("healthcheck", {})
        own = " ".join(check.get("test", []))  # a probe of its own (the UI's) replaces it
        assert check.get("disable") is True or (own and "/healthz" not in own), (
            f"{name} runs {service['command'][:2]}: the image's /healthz check would mark it "
            "unhealthy for ever"
        )
        if service["command"][:2] == ["cap", "ui"]:
            port = service["command"][service["command"].index("--port") + 1]
            assert f":{port}/_stcore/health" in own, "the UI's probe asks Streamlit's health"


def test_compose_volumes_mounted_into_cap_are_directories_the_cap_user_owns() -> None:
    declared = set(compose().get("volumes", {}))
    owned = " ".join(rest for word, rest in final_stage() if word == "RUN")
    for name, service in cap_services().items():
        for volume in service.get("volumes", []):
            source, target = volume.split(":")[:2]
            if source.startswith((".", "/")):
                continue  # a bind mount: its owner is the host's business
            assert source in declared, f"{name} mounts an undeclared volume {source!r}"
            # a new named volume takes the owner of the image's directory it is mounted on
            assert re.search(rf"install -d -o cap -g cap (\S+ )*{re.escape(target)}\b", owned), (
                f"{name} mounts volume {source} at {target}: the Dockerfile must create it owned "
                "by the cap user, or a non-root process cannot write to it"
            )


# --- Kubernetes ---


def test_k8s_api_deployment_and_service() -> None:
    api = k8s_object("Deployment", "cap-api")
    pod = api["spec"]["template"]
    assert api["spec"]["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
    (container,) = pod["spec"]["containers"]
    check_cap_command(container["command"], "k8s cap-api")
    assert container["command"][:2] == ["cap", "serve"]
    port = int(container["command"][container["command"].index("--port") + 1])
    ports = {p.get("name"): p["containerPort"] for p in container["ports"]}
    assert port in ports.values(), "the container port is the one cap serve listens on"

    def probe_port(probe: dict[str, Any]) -> int:
        value = probe["httpGet"]["port"]
        return ports[value] if isinstance(value, str) else int(value)

    liveness, readiness = container["livenessProbe"], container["readinessProbe"]
    assert liveness["httpGet"]["path"] == "/healthz", "liveness: the process answers"
    assert readiness["httpGet"]["path"] == "/readyz", "readiness: database and queue answer"
    assert probe_port(liveness) == probe_port(readiness) == port
    service = k8s_object("Service", "cap-api")
    assert service["spec"]["selector"].items() <= pod["metadata"]["labels"].items()
    for service_port in service["spec"]["ports"]:
        target = service_port["targetPort"]
        assert (ports[target] if isinstance(target, str) else target) == port


def test_k8s_ui_reaches_the_api_through_its_service_with_a_key_of_its_own() -> None:
    ui = k8s_object("Deployment", "cap-ui")
    pod = ui["spec"]["template"]
    (container,) = pod["spec"]["containers"]
    check_cap_command(container["command"], "k8s cap-ui")
    port = int(container["command"][container["command"].index("--port") + 1])
    assert {p["containerPort"] for p in container["ports"]} == {port}
    for probe in (container["livenessProbe"], container["readinessProbe"]):
        assert probe["httpGet"]["path"] == "/_stcore/health", "Streamlit's own health route"
    env = {e["name"]: e["value"] for e in container["env"]}
    api_service = k8s_object("Service", "cap-api")
    assert urlsplit(env["CAP_API_URL"]).hostname == api_service["metadata"]["name"]
    (source,) = container["envFrom"]
    secret = k8s_object("Secret", source["secretRef"]["name"])
    assert set(secret["stringData"]) == {"CAP_API_KEY"}, "the UI holds its key and nothing else"
    service = k8s_object("Service", "cap-ui")
    assert service["spec"]["selector"].items() <= pod["metadata"]["labels"].items()


def test_k8s_worker_deployment_scales_with_an_hpa() -> None:
    worker = k8s_object("Deployment", "cap-worker")
    pod = worker["spec"]["template"]
    assert worker["spec"]["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
    (container,) = pod["spec"]["containers"]
    check_cap_command(container["command"], "k8s cap-worker")
    assert container["command"][:2] == ["cap", "worker"]
    hpas = [d for d in k8s() if d["kind"] == "HorizontalPodAutoscaler"]
    targets = [h["spec"]["scaleTargetRef"] for h in hpas]
    assert {"apiVersion": "apps/v1", "kind": "Deployment", "name": "cap-worker"} in targets
    (hpa,) = [h for h in hpas if h["spec"]["scaleTargetRef"]["name"] == "cap-worker"]
    assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    # a CPU utilisation target needs a CPU request to be measured against
    assert container["resources"]["requests"]["cpu"]


def test_every_k8s_pod_runs_a_real_cap_command_as_non_root_with_existing_config() -> None:
    names = {(d["kind"], d["metadata"]["name"]) for d in k8s()}
    uid = dockerfile_uid()
    specs = dict(pod_specs())
    assert {"Deployment/cap-api", "Deployment/cap-worker"} <= set(specs)
    for where, spec in specs.items():
        security = spec["securityContext"]
        assert security["runAsNonRoot"] is True, where
        assert security["runAsUser"] == uid != 0, f"{where}: the image's user is {uid}"
        # what the "restricted" Pod Security Standard requires of every pod
        seccomp = security.get("seccompProfile", {}).get("type")
        assert seccomp in ("RuntimeDefault", "Localhost"), f"{where}: seccompProfile {seccomp}"
        for container in spec["containers"]:
            check_cap_command(container["command"], f"{where} {container['name']}")
            own = container["securityContext"]
            assert own.get("allowPrivilegeEscalation") is False, where
            assert own.get("capabilities", {}).get("drop") == ["ALL"], f"{where}: drop ALL"
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    assert ("ConfigMap", source["configMapRef"]["name"]) in names, where
                if "secretRef" in source:
                    assert ("Secret", source["secretRef"]["name"]) in names, where


# --- settings ---


def test_every_environment_variable_in_deploy_is_a_real_setting() -> None:
    wrong = []
    for where, env in cap_environments():
        for name in env:
            if name not in NOT_SETTINGS and setting_for(name) is None:
                wrong.append(f"{where}: {name}")
    # and every CAP_ name anywhere in deploy/ (comments, ${…} interpolations, docs)
    for path in sorted(p for p in DEPLOY.rglob("*") if p.is_file()):
        for name in set(re.findall(r"\bCAP_[A-Z0-9_]+\b", path.read_text())):
            if setting_for(name) is None:
                wrong.append(f"{path.relative_to(DEPLOY)}: {name}")
    assert not wrong, "not settings (see settings.py):\n" + "\n".join(sorted(set(wrong)))


def test_the_k8s_config_validates_and_the_shipped_secret_placeholder_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = k8s_object("ConfigMap", "cap-config")["data"]
    secret = k8s_object("Secret", "cap-secrets")["stringData"]
    monkeypatch.setenv("CAP_DATA_DIR", str(tmp_path))
    for name, value in {**config, **secret}.items():
        monkeypatch.setenv(name, str(value))
    # "CHANGE-ME" must never sign a webhook: the pods refuse to start until it is filled in
    with pytest.raises(ConfigError, match="CAP_WEBHOOK_SECRET"):
        load_settings()
    monkeypatch.setenv("CAP_WEBHOOK_SECRET", "3f9a1c0e7b2d4e6f8a0b1c2d3e4f5a6b")
    settings = load_settings()
    assert settings.redis_url == config["CAP_REDIS_URL"]
    assert settings.metadata_url.startswith("postgresql+psycopg://")


def test_the_compose_environment_validates(monkeypatch: pytest.MonkeyPatch) -> None:
    env = cap_services()["api"]["environment"]
    dockerfile_env = dict(cap_environments())["Dockerfile"]
    for name, value in {**dockerfile_env, **env}.items():
        # compose's ${NAME:?…} must be given by the operator; ${NAME:-} is empty when unset
        given = re.sub(r"\$\{[A-Z_]+:\?[^}]*\}", "3f9a1c0e7b2d4e6f8a0b1c2d3e4f5a6b", str(value))
        monkeypatch.setenv(name, re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", given))
    settings = load_settings()
    assert settings.storage_url == env["CAP_STORAGE_URL"]
    assert settings.openai_api_key is not None and not settings.openai_api_key.get_secret_value()


def test_the_image_has_the_fsspec_driver_of_every_storage_url_in_deploy() -> None:
    import tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    args = " ".join(rest for word, rest in dockerfile() if word == "ARG")
    built = set(re.search(r'EXTRAS="([^"]*)"', args).group(1).split(","))  # type: ignore[union-attr]
    for where, env in cap_environments():
        url = env.get("CAP_STORAGE_URL")
        scheme = urlsplit(url).scheme if url else ""
        if scheme in DRIVERS:
            extra, driver = DRIVERS[scheme]
            assert extra in built, f"{where}: CAP_STORAGE_URL={url} needs the [{extra}] extra"
            assert any(dep.startswith(driver) for dep in extras[extra])
        else:
            assert scheme in ("", "file"), f"{where}: no known fsspec driver for {url}"


# --- the Dockerfile ---


def dockerfile_uid() -> int:
    users = re.findall(r"useradd\b[^&;]*--uid (\d+) (\w+)", " ".join(r for _, r in final_stage()))
    assert users, "the Dockerfile creates its user with useradd --uid"
    (uid, _name), *_ = users
    return int(uid)


def test_the_dockerfile_runs_a_real_cap_command_as_a_non_root_user() -> None:
    stage = final_stage()
    users = [rest for word, rest in stage if word == "USER"]
    assert users, "the image sets a USER"
    assert users[-1].split(":")[0] not in ("root", "0"), f"the image runs as {users[-1]}"
    user_line = max(i for i, (word, _) in enumerate(stage) if word == "USER")
    cmd_line = max(i for i, (word, _) in enumerate(stage) if word == "CMD")
    assert user_line < cmd_line
    created = re.findall(r"useradd\b[^&;]*--uid (\d+) (\w+)", " ".join(r for _, r in stage))
    assert (str(dockerfile_uid()), users[-1]) in created
    cmd = json.loads(stage[cmd_line][1])  # exec form: signals reach cap, not a shell
    check_cap_command(cmd, "Dockerfile CMD")
    exposed = [int(p) for word, rest in stage if word == "EXPOSE" for p in rest.split()]
    assert int(cmd[cmd.index("--port") + 1]) in exposed


def test_the_dockerfile_copies_what_exists_and_installs_real_extras() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    for word, rest in dockerfile():
        if word == "COPY" and not rest.startswith("--from"):
            *sources, _target = rest.split()
            for source in sources:
                assert (ROOT / source).exists(), f"COPY {source}: not in the build context"
        if word == "RUN" and "pip install" in rest:
            for group in re.findall(r"\.\[([\w,-]+)\]", rest):
                for extra in group.split(","):
                    assert extra in extras, f"pip install .[{extra}]: no such extra"


# --- Prometheus and Grafana ---


def exported_metrics() -> dict[str, tuple[str, set[str]]]:
    """Every sample name the API exports → (its family, the family's labels), read from the
    metric constructors in service/metrics.py."""
    kinds = {
        "GaugeMetricFamily": ("",),
        "CounterMetricFamily": ("_total",),
        "Counter": ("_total", "_created"),
        "HistogramMetricFamily": ("_bucket", "_sum", "_count"),
        "Histogram": ("_bucket", "_sum", "_count", "_created"),
    }
    out: dict[str, tuple[str, set[str]]] = {}
    for node in ast.walk(ast.parse(METRICS.read_text())):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        if node.func.id not in kinds or not node.args:
            continue
        first = node.args[0]
        if not (isinstance(first, ast.Constant) and str(first.value).startswith("cap_")):
            continue
        labels_node = next((k.value for k in node.keywords if k.arg in ("labels",)), None)
        if labels_node is None and len(node.args) > 2:
            labels_node = node.args[2]
        labels = set(ast.literal_eval(labels_node)) if isinstance(labels_node, ast.List) else set()
        family = str(first.value)
        for suffix in kinds[node.func.id]:
            out[family + suffix] = (family, labels | ({"le"} if suffix == "_bucket" else set()))
    return out


def dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DEPLOY / "grafana/cap-dashboard.json").read_text())
    return data


def dashboard_exprs() -> list[tuple[str, str]]:
    return [
        (panel["title"], target["expr"])
        for panel in dashboard()["panels"]
        for target in panel.get("targets", [])
    ]


def test_the_metric_constructors_were_found() -> None:
    families = {family for family, _ in exported_metrics().values()}
    assert {"cap_campaigns", "cap_campaign_duration_seconds", "cap_http_requests"} <= families


def test_every_metric_the_dashboard_queries_is_exported_with_those_labels() -> None:
    exported = exported_metrics()
    assert dashboard_exprs()
    for title, expr in dashboard_exprs():
        names = re.findall(r"\bcap_\w+", expr)
        assert names, f"{title}: {expr} queries no cap_ metric"
        for name in names:
            assert name in exported, f"{title}: {name} is not exported by service/metrics.py"
        for name, matchers in re.findall(r"\b(cap_\w+)\{([^}]*)\}", expr):
            used = set(re.findall(r"(\w+)\s*(?:=~|!~|!=|=)", matchers)) - {"job", "instance"}
            labels = exported[name][1]
            assert used <= labels, f"{title}: {name} has labels {labels}, not {used - labels}"


def test_the_dashboard_shows_every_exported_family() -> None:
    exported = exported_metrics()
    queried = {n for _, e in dashboard_exprs() for n in re.findall(r"cap_\w+", e)}
    shown = {exported[n][0] for n in queried if n in exported}  # the rest fail the test above
    families = {family for family, _ in exported.values()}
    assert families == shown, f"not on the dashboard: {families - shown}"


def test_the_dashboard_is_grafana_json_on_a_prometheus_variable() -> None:
    board = dashboard()
    assert 36 <= board["schemaVersion"] <= 41
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["DS_PROMETHEUS"]["type"] == "datasource"
    assert variables["DS_PROMETHEUS"]["query"] == "prometheus"
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids))
    quantiles = [e for _, e in dashboard_exprs() if "histogram_quantile" in e]
    assert any("cap_campaign_duration_seconds_bucket" in e and "(0.5," in e for e in quantiles)
    assert any("cap_campaign_duration_seconds_bucket" in e and "(0.95," in e for e in quantiles)
    for panel in board["panels"]:
        if panel["type"] == "row":
            continue
        assert panel["datasource"]["uid"] == "${DS_PROMETHEUS}", panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == "${DS_PROMETHEUS}", panel["title"]
        width, x = panel["gridPos"]["w"], panel["gridPos"]["x"]
        assert x >= 0 and x + width <= 24, panel["title"]


def test_prometheus_scrapes_the_apis_metrics() -> None:
    config = documents(DEPLOY / "prometheus/prometheus.yml")[0]
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs
    for name, job in jobs.items():
        assert job.get("metrics_path", "/metrics") == "/metrics", name
    services = compose()["services"]
    static = [
        t for job in jobs.values() for s in job.get("static_configs", []) for t in s["targets"]
    ]
    api_port = services["api"]["ports"][0].split(":")[-1]
    assert f"api:{api_port}" in static, "compose's Prometheus scrapes the api service"
    pod_labels = k8s_object("Deployment", "cap-api")["spec"]["template"]["metadata"]["labels"]
    kept = [
        rule
        for job in jobs.values()
        for rule in job.get("relabel_configs", [])
        if rule.get("action") == "keep"
    ]
    assert any(
        rule["source_labels"] == ["__meta_kubernetes_pod_label_app"]
        and re.fullmatch(rule["regex"], pod_labels["app"])
        for rule in kept
    ), "the Kubernetes job keeps the api pods"
