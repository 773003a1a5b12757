"""The API under generated requests (schemathesis): no server error, answers as documented.

Every operation of the served OpenAPI document gets a bounded number of generated requests,
valid and invalid ones, with a fixed seed, and every schemathesis check runs on each answer
(status codes and bodies as documented, valid data accepted, invalid data refused, the API
key enforced, no 5xx). Two models: the synthetic one (typed prepared fields) and one trained
on a user's table (raw columns: numbers as text with decimal commas and blanks, a Yes/No
flag, dates, categories, free text), whose request schema is generated from the saved
conversions. The app runs in this process with an API key, as in production.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import SALT, small_params

schemathesis = pytest.importorskip("schemathesis")
hypothesis = pytest.importorskip("hypothesis")

from churnlab.data import privacy  # noqa: E402
from churnlab.serving.api import create_app  # noqa: E402
from churnlab.serving.scorer import Scorer  # noqa: E402

EXAMPLES = 30  # per operation, generation mode and model
KEY = {"X-API-Key": "fuzz-key"}


@pytest.fixture(scope="module")
def user_models(tmp_path_factory):
    """A small model trained on a user table (the table of ``test_userdata`` and a flag)."""
    from churnlab.stages import featurize, prepare, split, train
    from test_userdata import churn_table, user_params

    root = tmp_path_factory.mktemp("fuzz_user")
    table = churn_table(400)
    table["paperless"] = np.where(np.arange(len(table)) % 3 == 0, "Yes", "No")
    table.to_csv(root / "in.csv", index=False)
    params = user_params(root / "in.csv")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        mp.setenv(privacy.SALT_ENV, SALT.decode())
        for stage in (prepare, split, featurize, train):
            stage.main(params)
    return root / "models"


@pytest.fixture(scope="module", params=["synthetic", "user table"])
def schema(request, trained_run):
    models = (
        trained_run / "models"
        if request.param == "synthetic"
        else request.getfixturevalue("user_models")
    )
    params = small_params().serve.model_copy(update={"max_batch": 50, "max_body_bytes": 200_000})
    app = create_app(Scorer.load(models, params), api_key=KEY["X-API-Key"])
    return schemathesis.openapi.from_asgi("/openapi.json", app, headers=KEY)


def _fuzz(operation, mode, sent: list[int]) -> list[str]:
    from schemathesis.checks import CHECKS, load_all_checks

    load_all_checks()
    checks = CHECKS.get_all()  # every built-in check, positive_data_acceptance included
    failures: list[str] = []

    @hypothesis.settings(
        max_examples=EXAMPLES,
        derandomize=True,  # the same requests on every run
        database=None,
        deadline=None,
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        try:
            sent.append(case.call_and_validate(headers=KEY, checks=checks).status_code)
        except Exception as exc:  # collect every failing case, not only the first
            failures.append(f"{operation.label} [{mode}]: {str(exc)[:2000]}")

    try:
        run()
    except hypothesis.errors.Unsatisfiable:  # nothing invalid to send (GET /health)
        assert mode == "negative", operation.label
    return failures


@pytest.mark.e2e
def test_generated_requests_get_no_server_error_and_documented_answers(schema):
    from schemathesis.generation.modes import GenerationMode

    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.label for op in operations} == {"GET /health", "GET /metadata", "POST /predict"}
    sent: list[int] = []
    failures = [
        failure
        for operation in operations
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        for failure in _fuzz(operation, mode, sent)
    ]
    assert not failures, "\n\n".join(failures[:5])
    assert len(sent) >= 2 * EXAMPLES  # the predict route alone gets 2 * EXAMPLES requests
    assert not [status for status in sent if status >= 500]
    assert {200, 422} <= set(sent)  # valid customers scored, invalid ones refused
