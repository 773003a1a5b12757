"""The REST API: ``POST /predict``, ``GET /health``, ``GET /metadata`` (FastAPI).

The request model is generated from the model's training schema (``metadata.json``), so a
field the model never saw, or a value of the wrong type, is a 422 naming the field. A model
trained on a user's table takes that table's columns with their raw values (``"Partner":
"Yes"``), converted as prepare converted them (:mod:`churnlab.data.conversions`); its
``customer_key`` in the answer is the id column's value sent. Bodies over
``serve.max_body_bytes`` (declared or streamed in chunks) and batches over ``serve.max_batch``
are 413; with ``CHURNLAB_API_KEY`` set every route but ``/health`` needs the header
``X-API-Key``, the documentation (``/docs``, ``/redoc``, ``/openapi.json``) included unless
``CHURNLAB_PUBLIC_DOCS=1``. The OpenAPI document describes the answers the server really gives
(the 422 ``detail`` and ``errors``; 400, 401, 413). Unexpected errors are logged here and
answered with a plain 500: no traceback leaves the server. When the uplift or survival model
was saved with the churn model, each prediction also carries the uplift and recommended
action, or the horizon probabilities, median days to churn, value at risk and the contact
decision by value at risk (per customer: the contact budget applies to whole files only);
otherwise those fields are absent. A little over 300 lines: every answer field is described
where it is declared, since that text is the OpenAPI document.
"""

import hmac
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from fastapi import Depends, FastAPI, HTTPException, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, Field, create_model

from churnlab.config import paths
from churnlab.config.params import Params, load_params
from churnlab.data.input_contract import ID_COLUMN, request_model
from churnlab.serving.body_limit import BodyLimit
from churnlab.serving.request_schema import raw_request_model
from churnlab.serving.scorer import Scorer, reasons_of

log = logging.getLogger(__name__)

API_KEY_ENV = "CHURNLAB_API_KEY"
MODEL_DIR_ENV = "CHURNLAB_MODEL_DIR"
PARAMS_ENV = "CHURNLAB_PARAMS"
PUBLIC_DOCS_ENV = "CHURNLAB_PUBLIC_DOCS"


class Reason(BaseModel):
    feature: str = Field(description="the column of the customer's table the reason is about")
    contribution: float = Field(
        description="added log-odds of churn of every model input made from that column"
    )
    text: str = Field(description='in words, e.g. "Contract: Month-to-month raises risk"')


class Prediction(BaseModel):
    customer_key: str | None
    churn_probability: float
    churn: bool = Field(description="churn_probability >= the model's threshold")
    risk_tier: str
    reasons: list[Reason]
    uplift: float | None = Field(
        None,
        description="estimated drop in churn probability if contacted (uplift model present)",
    )
    recommended_action: str | None = Field(
        None,
        description='"contact" when uplift x customer value - offer cost > 0, else "do not '
        'contact" (uplift model present; the contact budget applies to whole files)',
    )
    p_churn_by_horizon: dict[str, float] | None = Field(
        None, description='churn probability within each horizon, e.g. {"30d": 0.12}'
    )
    median_days_to_churn: float | None = Field(
        None, description="days until the survival falls to one half (null: not in follow-up)"
    )
    customer_lifetime_value: float | None = Field(
        None, description="margin x expected discounted remaining lifetime (survival model)"
    )
    value_at_risk: float | None = Field(
        None, description="churn probability within the value horizon x lifetime value"
    )
    expected_net_gain: float | None = Field(
        None,
        description="offer acceptance rate x value_at_risk - offer cost (params business; "
        "survival model present)",
    )
    contact: bool | None = Field(
        None,
        description="expected_net_gain > 0 (survival model present; decided per customer: the "
        "contact budget applies where a whole file is ranked, churnlab predict's call list)",
    )


class Predictions(BaseModel):
    model_version: str
    threshold: float
    predictions: list[Prediction]


class Problem(BaseModel):
    detail: str = Field(description="what is wrong, in one sentence")


class FieldProblem(BaseModel):
    field: str = Field(description="the field, as customers.<i>.<column>")
    message: str
    type: str = Field(description="pydantic's error type")


class ValidationProblem(Problem):
    errors: list[FieldProblem] = Field(
        default_factory=list, description="one item per invalid field (absent for a bad row)"
    )


def _answers(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The error answers of a route, as the OpenAPI document shows them."""
    described = {
        400: (Problem, "the body could not be read"),
        401: (Problem, "missing or wrong X-API-Key header (when the server has a key)"),
        413: (Problem, "body over serve.max_body_bytes or batch over serve.max_batch"),
        422: (ValidationProblem, "invalid JSON, fields or values"),
    }
    return {c: {"model": described[c][0], "description": described[c][1]} for c in codes}


def _location(error: dict) -> str:
    parts = [str(p) for p in error.get("loc", ()) if p != "body"]
    # customers.<i>.<field>; pydantic appends the union branch (".float", ".int") after it.
    if parts and parts[0] == "customers":
        parts = parts[:3]
    return ".".join(parts) or "body"


def _errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for e in exc.errors():
        field = _location(e)
        found.setdefault(field, {"field": field, "message": e.get("msg", ""), "type": e["type"]})
    return list(found.values())


def _install_handlers(app: FastAPI, max_body: int) -> None:
    app.add_middleware(BodyLimit, max_body=max_body)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _errors(exc)
        fields = sorted({e["field"] for e in errors})
        return JSONResponse(
            {"detail": f"invalid fields: {', '.join(fields)}", "errors": errors}, status_code=422
        )

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse({"detail": "internal server error"}, status_code=500)


def _auth(expected: str | None):
    header = APIKeyHeader(name="X-API-Key", auto_error=False)

    def check(key: str | None = Security(header)) -> None:
        if expected and not (key and hmac.compare_digest(key, expected)):
            raise HTTPException(status_code=401, detail="missing or wrong X-API-Key header")

    return check


def _records(columns: dict[str, np.ndarray], n: int) -> list[dict[str, Any]]:
    """Row dicts from output columns (plain Python values, for JSON)."""
    lists = {name: values.tolist() for name, values in columns.items()}
    return [{name: values[i] for name, values in lists.items()} for i in range(n)]


def _fast_score(scorer: Scorer, rows: list[dict[str, Any]]) -> dict | None:
    """Score pydantic-checked rows through the featurizer's NumPy fast path.

    The request model already enforced what :func:`validate_frame` checks (types, required
    values), so the rows go straight to column arrays. None (use the general path) when the
    featurizer has no fast path or a timestamp carries a time zone (pandas' rules apply then).
    """
    if scorer.fast is None:
        return None
    columns = {}
    for name, entry in scorer.schema.items():
        values = [row[name] for row in rows]
        if entry["kind"] == "datetime" and any(getattr(v, "tzinfo", None) for v in values):
            return None
        columns[name] = np.array(values, dtype=object)
    return scorer.score_columns(columns, len(rows))


def _general_score(scorer: Scorer, rows: list[dict[str, Any]], columns: list[str]) -> dict:
    """Score through :meth:`Scorer.score` (conversions, pandas); a bad row is a 422."""
    frame = pd.DataFrame.from_records(rows, columns=columns)
    scored = scorer.score(frame, partial=True)
    bad = scored["error"].notna()
    if bad.any():
        first = int(bad.to_numpy().argmax())
        raise HTTPException(
            status_code=422, detail=f"customers.{first}: {scored['error'].iloc[first]}"
        )
    return {name: scored[name].to_numpy() for name in scored.columns}


def _keys(scorer: Scorer, rows: list[dict[str, Any]]) -> list[str | None]:
    """The id sent with each customer (the user's id column for a user-data model)."""
    name = (scorer.conversions or {}).get("id") if scorer.raw_inputs else ID_COLUMN
    return [None if row.get(name) is None else str(row[name]) for row in rows]


def _outlook(row: dict[str, Any]) -> dict[str, Any]:
    """The uplift and survival fields of one scored row (none without those models)."""
    out: dict[str, Any] = {}
    if "uplift" in row:
        out["uplift"] = float(row["uplift"])
        out["recommended_action"] = str(row["recommended_action"])
    horizons = {k[len("p_churn_") :]: float(v) for k, v in row.items() if k.startswith("p_churn_")}
    if horizons:
        median = row["median_days_to_churn"]
        out["p_churn_by_horizon"] = horizons
        out["median_days_to_churn"] = None if median != median else float(median)  # NaN: null
        out["customer_lifetime_value"] = float(row["customer_lifetime_value"])
        out["value_at_risk"] = float(row["value_at_risk"])
        out["expected_net_gain"] = float(row["expected_net_gain"])
        out["contact"] = bool(row["contact"])
    return out


def _documentation(app: FastAPI, guard: Any) -> None:
    """``/openapi.json``, ``/docs`` and ``/redoc`` behind ``guard``: they show the fields and
    the categories seen in training. Swagger UI and ReDoc fetch the document themselves,
    without the key, so with a key set they need ``CHURNLAB_PUBLIC_DOCS=1`` (or the committed
    ``docs/openapi.json``)."""
    dependencies = [guard] if guard is not None else []

    @app.get("/openapi.json", include_in_schema=False, dependencies=dependencies)
    def openapi_document() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False, dependencies=dependencies)
    def swagger() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title=f"{app.title} - docs")

    @app.get("/redoc", include_in_schema=False, dependencies=dependencies)
    def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url="/openapi.json", title=f"{app.title} - ReDoc")


def create_app(scorer: Scorer, api_key: str | None = None, public_docs: bool = False) -> FastAPI:
    serve = scorer.serve
    if scorer.raw_inputs:
        customer = raw_request_model(scorer.conversions, scorer.schema)
    else:
        customer = request_model(scorer.schema)
    columns = [f.alias or name for name, f in customer.model_fields.items()]
    many = create_model(
        "PredictRequest",
        customers=(list[customer], Field(min_length=1, description="one or more customers")),
        __config__={"extra": "forbid"},
    )
    version = scorer.version
    app = FastAPI(
        title="churnlab",
        version=str(version),
        description="Churn probability, decision, risk tier and top reasons per customer.",
        openapi_url=None,  # served by _documentation, behind the key
        docs_url=None,
        redoc_url=None,
    )
    _install_handlers(app, serve.max_body_bytes)
    guard = Depends(_auth(api_key))
    _documentation(app, None if public_docs else guard)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/metadata", dependencies=[guard], responses=_answers(401))
    def metadata() -> dict[str, Any]:
        return {"version": version, **scorer.metadata}

    @app.post(
        "/predict",
        response_model=Predictions,
        dependencies=[guard],
        responses=_answers(400, 401, 413, 422),
    )
    def predict(body: many) -> JSONResponse:  # type: ignore[valid-type]
        if len(body.customers) > serve.max_batch:
            raise HTTPException(
                status_code=413,
                detail=f"{len(body.customers)} customers exceed serve.max_batch = "
                f"{serve.max_batch}",
            )
        rows = [c.model_dump(by_alias=True) for c in body.customers]
        keys = _keys(scorer, rows)
        scored = None if scorer.raw_inputs else _fast_score(scorer, rows)
        if scored is None:
            scored = _general_score(scorer, rows, columns)
        records = _records(scored, len(rows))
        # Built as plain JSON: re-validating our own output would double the latency of a
        # 1,000-customer batch; the response model still documents the shape.
        return JSONResponse(
            {
                "model_version": str(version),
                "threshold": scorer.threshold,
                "predictions": [
                    {
                        "customer_key": key,
                        "churn_probability": float(row["churn_probability"]),
                        "churn": bool(row["churn"]),
                        "risk_tier": str(row["risk_tier"]),
                        "reasons": reasons_of(row, serve.top_reasons),
                        **_outlook(row),
                    }
                    for key, row in zip(keys, records, strict=True)
                ],
            }
        )

    return app


def app_from_env() -> FastAPI:
    """The app uvicorn runs (``churnlab.serving.api:app_from_env`` with ``--factory``)."""
    params: Params = load_params(os.environ.get(PARAMS_ENV, str(paths.PARAMS)))
    model_dir = Path(os.environ.get(MODEL_DIR_ENV, str(paths.MODELS)))
    scorer = Scorer.load(model_dir, params.serve, params.report.units, params.business)
    public_docs = os.environ.get(PUBLIC_DOCS_ENV, "") == "1"
    return create_app(scorer, os.environ.get(API_KEY_ENV) or None, public_docs)
