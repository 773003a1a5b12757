"""The REST API through a real uvicorn process (``churnlab serve``) on a free loopback port."""

from __future__ import annotations

import http.client
import json
import re
import shutil
from pathlib import Path

import anyio
import numpy as np
import pytest
import yaml

from churnlab import io, package
from churnlab.data.input_contract import request_model
from churnlab.evaluation import explain, reasons
from churnlab.features import feature_frame
from churnlab.serving.api import create_app
from churnlab.serving.scorer import Scorer
from conftest import REPO_ROOT, small_params
from serving_support import free_port, request, server, to_json_rows

pytestmark = pytest.mark.e2e

MAX_BATCH = 50
MAX_BODY = 200_000
API_KEY = "test-key-123"
REPORT, ACTIONS = small_params().report, small_params().actions


@pytest.fixture(scope="module")
def app_dir(trained_run, tmp_path_factory) -> Path:
    """What the container holds: models/ and a params.yaml with small serving limits."""
    root = tmp_path_factory.mktemp("app")
    shutil.copytree(trained_run / "models", root / "models")
    params = small_params().model_dump(mode="json")
    params["serve"].update(max_batch=MAX_BATCH, max_body_bytes=MAX_BODY)
    (root / "params.yaml").write_text(yaml.safe_dump(params))
    return root


def serve_cmd(port: int) -> list[str]:
    return ["churnlab", "--params", "params.yaml", "serve", "--port", str(port)]


@pytest.fixture(scope="module")
def url(app_dir):
    port = free_port()
    with server(serve_cmd(port), app_dir, port) as base:
        yield base


@pytest.fixture(scope="module")
def holdout_rows(trained_run):
    return io.read_table(trained_run / "data/split/test.parquet").head(40)


def offline(app_dir: Path, frame):
    pipeline = package.load(app_dir / "models/pipeline.skops")
    return pipeline, pipeline.predict_proba(feature_frame(frame))[:, 1]


def test_predictions_equal_offline_pipeline(url, app_dir, holdout_rows):
    body = {"customers": to_json_rows(holdout_rows.drop(columns=["churned"]))}
    status, answer = request(f"{url}/predict", body)
    assert status == 200, answer
    pipeline, expected = offline(app_dir, holdout_rows)
    got = np.array([p["churn_probability"] for p in answer["predictions"]])
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)
    meta = json.loads((app_dir / "models/metadata.json").read_text())
    assert [p["churn"] for p in answer["predictions"]] == list(expected >= meta["threshold"])
    keys = [p["customer_key"] for p in answer["predictions"]]
    assert keys == holdout_rows["customer_key"].tolist()
    frame = feature_frame(holdout_rows)
    contribs, _ = explain.contributions(pipeline, frame)
    # the reasons in words, folded to the customer's columns, as `churnlab predict` words them
    worded = reasons.explain_customers(pipeline, frame, contribs, 3, REPORT, ACTIONS)
    texts = worded[["reason_1", "reason_2", "reason_3"]].to_numpy()
    expected = [[t for t in row if t] for row in texts]
    assert [[r["text"] for r in p["reasons"]] for p in answer["predictions"]] == expected
    folded = reasons.fold(contribs, reasons.fold_map(pipeline, list(contribs.columns)))
    for i, prediction in enumerate(answer["predictions"]):
        for reason in prediction["reasons"]:
            assert reason["text"].startswith(f"{reason['feature']}: ")
            assert reason["contribution"] == pytest.approx(
                folded.iloc[i][reason["feature"]], abs=1e-5
            )
    assert {p["risk_tier"] for p in answer["predictions"]} <= {"low", "medium", "high"}


def test_missing_optional_field_and_unseen_category_as_in_training(url, app_dir, holdout_rows):
    rows = holdout_rows.drop(columns=["churned"]).head(3).copy()
    rows["region"] = "Atlantis"
    rows["age"] = np.nan
    body = {"customers": to_json_rows(rows)}
    assert all("age" not in c for c in body["customers"])
    status, answer = request(f"{url}/predict", body)
    assert status == 200, answer
    _, expected = offline(app_dir, rows)
    got = [p["churn_probability"] for p in answer["predictions"]]
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)


def one(holdout_rows) -> dict:
    return to_json_rows(holdout_rows.drop(columns=["churned"]).head(1))[0]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"logins_30d": "many"}, "logins_30d"),
        ({"region": 3}, "region"),
        ({"shoe_size": 42}, "shoe_size"),
        ({"signup_date": "not a date"}, "signup_date"),
    ],
)
def test_bad_fields_get_422_naming_them(url, holdout_rows, change, field):
    customer = {**one(holdout_rows), **change}
    status, answer = request(f"{url}/predict", {"customers": [customer]})
    assert status == 422
    assert field in answer["detail"]
    assert any(e["field"] == f"customers.0.{field}" for e in answer["errors"])


def test_missing_required_field_gets_422(url, holdout_rows):
    customer = one(holdout_rows)
    del customer["logins_30d"]
    status, answer = request(f"{url}/predict", {"customers": [customer]})
    assert status == 422 and "logins_30d" in answer["detail"]


def test_malformed_json_gets_422_without_traceback(url):
    status, answer = request(f"{url}/predict", raw=b'{"customers": [')
    assert status == 422
    assert "Traceback" not in json.dumps(answer)


def test_batch_over_limit_gets_413(url, holdout_rows):
    status, answer = request(f"{url}/predict", {"customers": [one(holdout_rows)] * (MAX_BATCH + 1)})
    assert status == 413 and "serve.max_batch" in answer["detail"]


def test_oversized_body_gets_413(url):
    status, answer = request(f"{url}/predict", raw=b" " * (MAX_BODY + 1))
    assert status == 413 and "exceeds the limit" in answer["detail"]


def test_health_and_metadata(url, app_dir):
    assert request(f"{url}/health") == (200, {"status": "ok"})
    status, meta = request(f"{url}/metadata")
    assert status == 200
    stored = json.loads((app_dir / "models/metadata.json").read_text())
    assert meta["threshold"] == stored["threshold"]
    assert meta["input_schema"] == stored["input_schema"]
    assert re.fullmatch(r"sha256:[0-9a-f]{12}", meta["version"])
    assert meta["training_date"] == stored["snapshot_date"]


def test_api_key_required_when_set(app_dir, holdout_rows):
    port = free_port()
    with server(serve_cmd(port), app_dir, port, env={"CHURNLAB_API_KEY": API_KEY}) as base:
        body = {"customers": [one(holdout_rows)]}
        assert request(f"{base}/predict", body)[0] == 401
        assert request(f"{base}/predict", body, {"X-API-Key": "wrong"})[0] == 401
        assert request(f"{base}/metadata")[0] == 401
        assert request(f"{base}/predict", body, {"X-API-Key": API_KEY})[0] == 200
        assert request(f"{base}/health")[0] == 200


def test_openapi_export_matches_served_document(url, app_dir):
    from churnlab.cli.main import run

    target = app_dir / "openapi.json"
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(app_dir)
        assert run(["--params", "params.yaml", "openapi", str(target)]) == 0
    status, served = request(f"{url}/openapi.json")
    assert status == 200
    assert json.loads(target.read_text()) == served
    customer = served["components"]["schemas"]["Customer"]
    assert customer["additionalProperties"] is False
    assert "logins_30d" in customer["required"]


def test_committed_openapi_document_has_the_served_shape(url):
    """docs/openapi.json comes from the full model; fields and routes must match any build."""
    committed = json.loads((REPO_ROOT / "docs/openapi.json").read_text())
    served = request(f"{url}/openapi.json")[1]
    assert committed["paths"].keys() == served["paths"].keys()
    fields = {k: set(v["properties"]) for k, v in committed["components"]["schemas"].items()}
    served_fields = {k: set(v["properties"]) for k, v in served["components"]["schemas"].items()}
    assert fields["Customer"] == served_fields["Customer"]


# Packages the serving image leaves out: importing one while serving would fail in the image.
NOT_IN_IMAGE = ("matplotlib", "duckdb", "dvc", "dvclive", "gto", "pytest")
BLOCKER = f"""
import sys
class _Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {NOT_IN_IMAGE!r}:
            raise ImportError(f"{{name}} is not in the serving image")
sys.meta_path.insert(0, _Block())
"""


def dockerfile() -> list[tuple[str, str]]:
    text = (REPO_ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [tuple(line.split(None, 1)) for line in lines if line and not line.startswith("#")]


def test_dockerfile_is_minimal_and_non_root():
    instructions = dockerfile()
    assert instructions[0] == ("FROM", "python:3.11-slim")
    users = [arg for op, arg in instructions if op == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert any(op == "HEALTHCHECK" and "/health" in arg for op, arg in instructions)
    copied = [arg.split()[:-1] for op, arg in instructions if op == "COPY"]
    sources = [s for group in copied for s in group]
    assert sources == [
        "requirements-serve.txt",
        "pyproject.toml",
        "README.md",
        "src",
        "params.yaml",
        "models/pipeline.skops",
        "models/metadata.json",
        "models/uplift.skops",
        "models/survival.skops",
    ]
    pins = set((REPO_ROOT / "requirements.txt").read_text().split())
    serve_pins = [
        line
        for line in (REPO_ROOT / "requirements-serve.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert set(serve_pins) <= pins  # the image runs the versions the tests ran


def test_dockerfile_cmd_starts_the_api(app_dir, holdout_rows, tmp_path):
    """Run the image's CMD (host and port moved to a free loopback port) with the packages the
    image leaves out made unimportable."""
    cmd = json.loads(dict(dockerfile())["CMD"])
    port = free_port()
    cmd[cmd.index("--host") + 1] = "127.0.0.1"
    cmd[cmd.index("--port") + 1] = str(port)
    (tmp_path / "sitecustomize.py").write_text(BLOCKER)
    env = {"PYTHONPATH": str(tmp_path), "CHURNLAB_GIT_REVISION": "abc123"}
    with server(cmd, app_dir, port, env=env) as base:
        status, answer = request(f"{base}/predict", {"customers": [one(holdout_rows)]})
        assert status == 200 and 0 <= answer["predictions"][0]["churn_probability"] <= 1
        assert request(f"{base}/metadata")[1]["git_revision"] == "abc123"


@pytest.mark.parametrize(
    "when", ["2023-07-07T10:00:00Z", "2023-07-07T10:00:00+02:00", "2023-07-07T10:00:00", 1688724000]
)
def test_dates_with_time_zones_are_scored_as_utc(url, holdout_rows, when):
    """Issue 15, item 4: these gave 500 (a naive/aware mix in pandas)."""
    status, answer = request(
        f"{url}/predict", {"customers": [{**one(holdout_rows), "signup_date": when}]}
    )
    assert status == 200, answer
    assert 0 <= answer["predictions"][0]["churn_probability"] <= 1


def test_a_number_too_large_for_a_float_is_a_422(url, holdout_rows):
    status, answer = request(
        f"{url}/predict", {"customers": [{**one(holdout_rows), "logins_30d": 10**400}]}
    )
    assert status == 422 and "logins_30d" in answer["detail"]


def asgi_request(app, method: str, path: str, body: bytes = b"", headers=()) -> tuple[int, bytes]:
    """One request to an ASGI app in this process: (status, body)."""
    sent: list[dict] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "scheme": "http",
        "server": ("test", 80),
        "client": ("127.0.0.1", 1),
        "headers": [(b"content-type", b"application/json"), *headers],
    }
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    anyio.run(app, scope, receive, send)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


def asgi_get(app, path: str) -> tuple[int, bytes]:
    return asgi_request(app, "GET", path)


def chunked_post(url: str, chunks: list[bytes]) -> tuple[int, dict]:
    """POST ``chunks`` with Transfer-Encoding: chunked and no Content-Length."""
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        conn.putrequest("POST", "/predict")
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        try:
            for chunk in [*chunks, b""]:
                conn.send(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        except OSError:  # the server answered and closed before the whole body was sent
            pass
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def test_a_chunked_body_without_length_respects_the_limit(url, holdout_rows):
    """Issue 15, item 6: a streamed body over max_body_bytes was accepted (25 MB)."""
    status, answer = chunked_post(url, [b" " * 65_536] * (MAX_BODY // 65_536 + 2))
    assert status == 413 and "exceeds the limit of 200000" in answer["detail"]
    body = json.dumps({"customers": [one(holdout_rows)]}).encode()
    status, answer = chunked_post(url, [body[:100], body[100:]])  # under the limit: scored
    assert status == 200 and len(answer["predictions"]) == 1


def test_the_documentation_needs_the_key_when_one_is_set(app_dir):
    """Issue 15, item 3: /docs and /openapi.json showed the category lists without the key."""
    port = free_port()
    with server(serve_cmd(port), app_dir, port, env={"CHURNLAB_API_KEY": API_KEY}) as base:
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert request(f"{base}{path}")[0] == 401, path
        status, document = request(f"{base}/openapi.json", headers={"X-API-Key": API_KEY})
        assert status == 200 and "/predict" in document["paths"]


def test_the_documentation_switch_opens_it(app_dir):
    scorer = Scorer.load(app_dir / "models", small_params().serve)
    app = create_app(scorer, API_KEY, public_docs=True)
    assert asgi_get(app, "/docs")[0] == 200
    assert asgi_get(app, "/openapi.json")[0] == 200
    assert asgi_get(app, "/metadata")[0] == 401  # the switch opens the documentation only


def test_the_openapi_document_describes_the_errors_served(url, holdout_rows):
    document = request(f"{url}/openapi.json")[1]
    answers = document["paths"]["/predict"]["post"]["responses"]
    assert {"200", "400", "401", "413", "422"} <= answers.keys()
    schemas = document["components"]["schemas"]
    invalid = answers["422"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    assert schemas[invalid]["properties"]["detail"]["type"] == "string"
    assert set(schemas[invalid]["properties"]) == {"detail", "errors"}
    status, served = request(f"{url}/predict", {"customers": [{**one(holdout_rows), "age": "x"}]})
    assert status == 422 and isinstance(served["detail"], str)
    item = served["errors"][0]
    item_schema = schemas[invalid]["properties"]["errors"]["items"]["$ref"].split("/")[-1]
    assert set(item) == set(schemas[item_schema]["properties"])
    assert "HTTPValidationError" not in schemas  # FastAPI's default shape is not what we send


@pytest.mark.parametrize("name", ["model_dump", "model_config", "_internal", "schema", "copy"])
def test_any_column_name_is_a_request_field(name):
    """Issue 15, item 5: a column named like a pydantic attribute broke the request model."""
    schema = {name: {"kind": "number", "required": True}, "plan": {"kind": "category",
              "required": False, "categories": ["a"]}}  # fmt: skip
    model = request_model(schema)
    parsed = model.model_validate({name: 1.5, "customer_key": "k1"})
    assert parsed.model_dump(by_alias=True) == {"customer_key": "k1", name: 1.5, "plan": None}
    assert name in model.model_json_schema()["required"]
