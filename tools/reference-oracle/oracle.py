#!/usr/bin/env python3
"""
Reference oracle for Patchbay's Custom Integrations compatibility tests.

Runs the REAL router of the PyPI package `kubiya-control-plane-api`
(control_plane_api.app.routers.custom_integrations, with its own Pydantic
request/response models, its own SQLAlchemy model and the real FastAPI /
Pydantic v2 stack) against a real PostgreSQL database, replays a catalogue of
requests through FastAPI's TestClient and writes golden fixtures:

  <out>/validation.json   request-body / query validation cases
  <out>/session.json      the end-to-end "done when" sequence

Nothing of the reference is copied: everything is imported from the installed
package. What the oracle changes, and why, is listed here exhaustively:

 1. Hollow package shells.  The `__init__.py` files of
    `control_plane_api.app.routers`, `.lib`, `.middleware` and
    `.observability` eagerly import the whole product (supabase, temporal,
    litellm, agno, ...).  We register empty package objects whose `__path__`
    points at the real directories, so that the real submodules
    (`routers/custom_integrations.py`, `middleware/auth.py`, ...) load from the
    installed files while those heavy `__init__`s are skipped.  No module
    body is replaced.

 2. Response-model timestamp patch (the only behavioural patch).  The
    reference's `CustomIntegrationResponse` declares `created_at: str` and
    `updated_at: str`, but the ORM object carries `datetime` values, so the
    published reference answers HTTP 500 (ResponseValidationError) on every
    successful request that returns an integration.  We re-annotate exactly
    these two fields as `datetime` and rebuild the model BEFORE the router is
    mounted (FastAPI builds its response fields in `include_router`), so
    Pydantic serialises them as ISO-8601 strings (`2025-01-01T10:00:00.123456Z`).
    Nothing else in the model changes.

 3. Dependency overrides (test harness, not behaviour):
    - `get_db` -> a SQLAlchemy session on ORACLE_DATABASE_URL with the same
      yield / rollback-on-error / close semantics as the reference's get_db;
    - `get_current_organization` -> a fake organization
      {"id": "org-a", "user_id": "user-1", ...} (authentication is not what
      these fixtures test).

 4. The app is a bare `FastAPI(openapi_url="/api/openapi.json")` with the
    router mounted under `/api/v1`, as in the reference's main.py.  The
    reference's main.py installs no custom exception handlers
    (setup_exception_handlers is never called), so FastAPI's defaults apply;
    CORS/metrics middleware are omitted (they do not affect these requests).

Usage:  python oracle.py [--out DIR]
Env:    ORACLE_DATABASE_URL  (default postgresql://postgres@127.0.0.1:5432/oracle_ref)
        The database is created if missing (via the `postgres` maintenance DB),
        and the custom_integrations table is dropped and re-created.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import types
from datetime import datetime
from pathlib import Path

# --------------------------------------------------------------------------
# 1. Import the real reference modules (hollow package shells, see above)
# --------------------------------------------------------------------------
import control_plane_api.app as _app_pkg  # noqa: E402  (light __init__)

_BASE = os.path.dirname(_app_pkg.__file__)
for _sub in ("routers", "lib", "middleware", "observability"):
    _name = f"control_plane_api.app.{_sub}"
    _shell = types.ModuleType(_name)
    _shell.__path__ = [os.path.join(_BASE, _sub)]
    _shell.__package__ = _name
    sys.modules[_name] = _shell

from control_plane_api.app import database as ref_database  # noqa: E402
from control_plane_api.app.middleware import auth as ref_auth  # noqa: E402
from control_plane_api.app.models.custom_integration import CustomIntegration  # noqa: E402
from control_plane_api.app.routers import custom_integrations as ref_router  # noqa: E402

import logging  # noqa: E402

import structlog  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import sessionmaker  # noqa: E402

# The router logs every call through structlog; keep the oracle's output readable.
structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL))

# --------------------------------------------------------------------------
# 2. The one behavioural patch: timestamps str -> datetime in the response model
# --------------------------------------------------------------------------
_Resp = ref_router.CustomIntegrationResponse
for _f in ("created_at", "updated_at"):
    assert _Resp.model_fields[_f].annotation is str, "reference changed; revisit the patch"
    _Resp.model_fields[_f].annotation = datetime
    _Resp.__annotations__[_f] = datetime
_Resp.model_rebuild(force=True)

# --------------------------------------------------------------------------
# 3. Database + app
# --------------------------------------------------------------------------
DB_URL = os.environ.get(
    "ORACLE_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/oracle_ref"
)
ORG = {
    "id": "org-a",
    "name": "Org A",
    "slug": "org-a",
    "user_id": "user-1",
    "user_email": "user-1@example.com",
    "user_name": "User One",
}


def ensure_database(url: str) -> None:
    u = make_url(url)
    admin = create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        if not c.execute(text("SELECT 1 FROM pg_database WHERE datname=:d"), {"d": u.database}).scalar():
            c.execute(text(f'CREATE DATABASE "{u.database}"'))
    admin.dispose()


def _psycopg2(url: str):
    # The reference depends on psycopg2-binary; SQLAlchemy >= 2.1 maps a bare
    # "postgresql://" to psycopg 3, so pin the driver explicitly.
    u = make_url(url)
    return u.set(drivername="postgresql+psycopg2") if u.drivername == "postgresql" else u


DB_URL = _psycopg2(DB_URL)
ensure_database(DB_URL)
engine = create_engine(DB_URL)
SessionLocal = sessionmaker(bind=engine, autocommit=False, autoflush=False)


def reset_schema() -> None:
    """Create custom_integrations exactly as production does: by replaying the
    package's own alembic migration (df9117888e82_add_missing_columns), with a
    minimal `alembic.op` stand-in that executes only the custom_integrations
    create_table / create_index calls and ignores the other tables' changes.
    (The ORM model cannot be used with metadata.create_all: its Enum stores
    member NAMES - 'ACTIVE' - but declares server_default 'active', which
    PostgreSQL rejects.  The migration uses 'ACTIVE' and is what runs in
    production.)"""
    import importlib
    import sqlalchemy as sa

    md = sa.MetaData()
    made = []

    class _Op:
        @staticmethod
        def f(name):
            return name

        @staticmethod
        def create_table(name, *elems, **kw):
            if name == "custom_integrations":
                made.append(sa.Table(name, md, *elems, **kw))

        @staticmethod
        def create_index(name, table, columns, unique=False, **kw):
            if table == "custom_integrations":
                sa.Index(name, *[md.tables[table].c[c] for c in columns], unique=unique)

        def __getattr__(self, _name):
            return lambda *a, **k: None

    fake_alembic = types.ModuleType("alembic")
    fake_alembic.op = _Op()
    saved = sys.modules.get("alembic")
    sys.modules["alembic"] = fake_alembic
    try:
        mig = importlib.import_module(
            "control_plane_api.alembic.versions.df9117888e82_add_missing_columns")
        mig.upgrade()
    finally:
        sys.modules.pop("control_plane_api.alembic.versions.df9117888e82_add_missing_columns", None)
        if saved is not None:
            sys.modules["alembic"] = saved
        else:
            sys.modules.pop("alembic", None)
    assert made, "migration did not create custom_integrations"
    with engine.begin() as c:
        c.execute(text("DROP TABLE IF EXISTS custom_integrations"))
        c.execute(text("DROP TYPE IF EXISTS customintegrationstatus"))
    md.create_all(engine)


def truncate() -> None:
    with engine.begin() as c:
        c.execute(text("TRUNCATE custom_integrations"))


def override_get_db():
    db = SessionLocal()
    try:
        yield db
    except Exception:
        db.rollback()
        raise
    finally:
        db.close()


async def override_get_current_organization():
    return dict(ORG)


app = FastAPI(openapi_url="/api/openapi.json")
app.include_router(ref_router.router, prefix="/api/v1")
app.dependency_overrides[ref_database.get_db] = override_get_db
app.dependency_overrides[ref_auth.get_current_organization] = override_get_current_organization

client = TestClient(app, raise_server_exceptions=False, follow_redirects=False)

BASE_PATH = "/api/v1/custom-integrations"
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
RELEVANT_HEADERS = ("location", "allow", "www-authenticate")


def send(method, path, query="", content_type=None, body=None):
    url = path + (("?" + query) if query else "")
    headers = {}
    if content_type is not None:
        headers["content-type"] = content_type
    kw = {}
    if body is not None:
        kw["content"] = body.encode("utf-8")
    return client.request(method, url, headers=headers, **kw)


def parse_response(r):
    """Returns (json-or-raw, headers-of-interest)."""
    hdrs = {h: r.headers[h] for h in RELEVANT_HEADERS if h in r.headers}
    ctype = r.headers.get("content-type")
    if not r.content:
        return None, hdrs
    if ctype == "application/json":
        return r.json(), hdrs
    hdrs["content-type"] = ctype
    return r.text, hdrs


def normalize(value, id_labels: dict, default_label=None):
    """Replace integration ids by "{id:LABEL}" ("{id}" for label None) and
    created_at / updated_at values by "{timestamp}"."""
    def ph(label):
        return "{id}" if label is None else "{id:%s}" % label

    def walk(v, key=None):
        if isinstance(v, dict):
            is_integration = "organization_id" in v and "created_at" in v
            out = {}
            for k, x in v.items():
                if is_integration and k in ("created_at", "updated_at") and isinstance(x, str):
                    # sanity: ISO-8601 with an offset / Z
                    datetime.fromisoformat(x.replace("Z", "+00:00"))
                    out[k] = "{timestamp}"
                elif is_integration and k == "id" and isinstance(x, str):
                    assert UUID_RE.match(x), x
                    if x not in id_labels:
                        if default_label is False:
                            raise KeyError(f"uncaptured integration id {x}")
                        id_labels[x] = default_label
                    out[k] = ph(id_labels[x])
                else:
                    out[k] = walk(x, k)
            return out
        if isinstance(v, list):
            return [walk(x) for x in v]
        if isinstance(v, str) and v in id_labels:
            return ph(id_labels[v])
        return v

    return walk(value)


# --------------------------------------------------------------------------
# Validation cases
# --------------------------------------------------------------------------
J = "application/json"
NO_CT = None
VALIDATION_BASE = {"name": "validation-base", "integration_type": "postgres", "config": {}}

# Integrations (POST bodies) created after VALIDATION_BASE for a specific case.
EXTRA_SETUP = {
    "put_name_taken_by_other_409": [{"name": "other", "integration_type": "x", "config": {}}],
}

OK = {"name": "n1", "integration_type": "postgres", "config": {}}


def dumps(v):
    return json.dumps(v, ensure_ascii=False)


def with_(base, **kv):
    d = json.loads(json.dumps(base))
    d.update(kv)
    return d


def with_cfg(**kv):
    return with_(OK, config=kv)


def with_ct(ct_value):
    return with_cfg(connection_test=ct_value)


def build_cases():
    C = []  # (name, method, path, query, content_type, body_str)

    def post(name, body, ct=J, raw=False):
        C.append((name, "POST", BASE_PATH, "", ct, body if raw or body is None else dumps(body)))

    def put(name, body, ct=J, raw=False, path=BASE_PATH + "/{id}"):
        C.append((name, "PUT", path, "", ct, body if raw or body is None else dumps(body)))

    # ---- POST: valid inputs ------------------------------------------------
    post("post_valid_minimal", OK)
    post("post_valid_full", {
        "name": "full", "integration_type": "postgres", "description": "d",
        "config": {
            "env_vars": {"DB_HOST": "h", "DB_PORT": "5432"},
            "secrets": ["DB_PASSWORD"],
            "files": [
                {"path": "~/.pg/client.crt", "content": "CERT", "mode": "0600", "description": "c"},
                {"path": "~/.pg/client.key", "secret_ref": "PG_KEY"},
            ],
            "context_prompt": "be careful",
            "connection_test": {"command": "pg_isready"},
        },
        "tags": ["prod", "db"],
    })
    post("post_unknown_keys_ignored", with_(OK, id="x", status="deleted", organization_id="org-b",
                                            created_by="mallory", extra=1,
                                            config={"unknown": 1, "files": [{"path": "p", "x": 1}]}))
    post("post_description_null_ok", with_(OK, description=None))
    post("post_name_unicode", with_(OK, name="données-прод-🚀"))
    post("post_name_whitespace_kept", with_(OK, name="  spaced name  "))
    post("post_name_255_ok", with_(OK, name="a" * 255))
    post("post_name_255_emoji_ok", with_(OK, name="🚀" * 255))
    post("post_integration_type_100_ok", with_(OK, integration_type="t" * 100))
    post("post_duplicate_name_of_base_409", with_(OK, name="validation-base"))
    post("post_name_case_differs_ok", with_(OK, name="VALIDATION-BASE"))
    post("post_duplicate_json_keys_last_wins", '{"name":"first","name":"second","integration_type":"x","config":{}}', raw=True)
    post("post_tags_duplicates_kept", with_(OK, tags=["a", "a", ""]))
    post("post_file_mode_null_kept", with_cfg(files=[{"path": "p", "mode": None}]))
    post("post_connection_test_null_ok", with_cfg(connection_test=None))
    post("post_context_prompt_null_ok", with_cfg(context_prompt=None))

    # ---- POST: missing required fields -------------------------------------
    post("post_missing_name", {"integration_type": "postgres", "config": {}})
    post("post_missing_integration_type", {"name": "n1", "config": {}})
    post("post_missing_config", {"name": "n1", "integration_type": "postgres"})
    post("post_empty_object", {})
    post("post_missing_connection_test_command", with_ct({}))
    post("post_missing_file_path", with_cfg(files=[{}]))
    post("post_missing_second_file_path", with_cfg(files=[{"path": "a"}, {"content": "x"}]))

    # ---- POST: wrong types of string fields --------------------------------
    for fname in ("name", "integration_type"):
        for label, v in (("int", 1), ("float", 1.5), ("bool", True), ("list", ["a"]),
                         ("object", {}), ("null", None)):
            post(f"post_{fname}_{label}", with_(OK, **{fname: v}))
    post("post_name_empty", with_(OK, name=""))
    post("post_name_256_too_long", with_(OK, name="a" * 256))
    post("post_name_256_emoji_too_long", with_(OK, name="🚀" * 256))
    post("post_integration_type_empty", with_(OK, integration_type=""))
    post("post_integration_type_101_too_long", with_(OK, integration_type="t" * 101))
    for label, v in (("int", 1), ("float", 1.5), ("bool", False), ("list", []), ("object", {"a": 1})):
        post(f"post_description_{label}", with_(OK, description=v))

    # ---- POST: config ------------------------------------------------------
    for label, v in (("string", "x"), ("list", []), ("int", 1), ("null", None), ("bool", True)):
        post(f"post_config_{label}", with_(OK, config=v))
    for label, v in (("list", []), ("string", "A=1"), ("null", None), ("int", 5)):
        post(f"post_env_vars_{label}", with_cfg(env_vars=v))
    for label, v in (("int", 1), ("null", None), ("bool", True), ("float", 1.5), ("list", ["a"]), ("object", {})):
        post(f"post_env_var_value_{label}", with_cfg(env_vars={"A": v}))
    post("post_env_vars_multiple_bad_values", with_cfg(env_vars={"A": "ok", "B": 2, "C": None}))
    post("post_env_vars_empty_key_ok", with_cfg(env_vars={"": "x", "1 bad": "y"}))
    for label, v in (("string", "S"), ("object", {}), ("null", None), ("int", 3)):
        post(f"post_secrets_{label}", with_cfg(secrets=v))
    post("post_secret_item_int", with_cfg(secrets=[1]))
    post("post_secret_item_null", with_cfg(secrets=[None]))
    post("post_secret_items_mixed", with_cfg(secrets=["a", 2, True]))
    for label, v in (("object", {}), ("string", "f"), ("null", None)):
        post(f"post_files_{label}", with_cfg(files=v))
    post("post_file_item_string", with_cfg(files=["f"]))
    post("post_file_item_int", with_cfg(files=[1]))
    post("post_file_item_list", with_cfg(files=[[]]))
    post("post_file_path_int", with_cfg(files=[{"path": 1}]))
    post("post_file_path_null", with_cfg(files=[{"path": None}]))
    post("post_file_mode_int", with_cfg(files=[{"path": "p", "mode": 644}]))
    post("post_file_content_int", with_cfg(files=[{"path": "p", "content": 1}]))
    post("post_file_all_fields_wrong", with_cfg(files=[{"path": 1, "content": 2, "secret_ref": 3,
                                                       "mode": 4, "description": 5}]))
    post("post_context_prompt_int", with_cfg(context_prompt=1))
    post("post_context_prompt_list", with_cfg(context_prompt=["a"]))

    # ---- POST: connection_test ---------------------------------------------
    for label, v in (("string", "pg_isready"), ("list", []), ("int", 1), ("bool", True)):
        post(f"post_connection_test_{label}", with_ct(v))
    post("post_connection_test_command_int", with_ct({"command": 1}))
    post("post_connection_test_command_null", with_ct({"command": None}))
    post("post_connection_test_command_empty_ok", with_ct({"command": ""}))
    enabled_values = [
        ("str_yes", "yes"), ("str_no", "no"), ("str_on", "on"), ("str_off", "off"),
        ("str_1", "1"), ("str_0", "0"), ("str_true", "true"), ("str_false_upper", "FALSE"),
        ("str_True", "True"), ("str_t", "t"), ("str_f", "f"), ("str_y", "y"), ("str_n", "n"),
        ("str_empty", ""), ("str_space_true", " true"), ("str_maybe", "maybe"), ("str_2", "2"),
        ("int_1", 1), ("int_0", 0), ("int_2", 2), ("int_neg1", -1), ("float_1_0", 1.0),
        ("float_0_0", 0.0), ("float_0_5", 0.5), ("list", []), ("object", {}), ("null", None),
        ("bool_false", False),
    ]
    for label, v in enabled_values:
        post(f"post_enabled_{label}", with_ct({"command": "c", "enabled": v}))
    timeout_values = [
        ("str_7", "7"), ("float_7_0", 7.0), ("float_1_5", 1.5), ("str_abc", "abc"),
        ("bool_true", True), ("bool_false", False), ("null", None), ("list", []),
        ("str_7_5", "7.5"), ("str_7_0", "7.0"), ("str_space_7", " 7 "), ("str_empty", ""),
        ("int_negative", -3), ("int_zero", 0), ("float_1e3", 1e3), ("str_1e3", "1e3"),
        ("str_underscore", "1_000"), ("str_plus", "+7"), ("object", {}),
        ("int_huge", 10 ** 20), ("float_huge", 1e20),
    ]
    for label, v in timeout_values:
        post(f"post_timeout_{label}", with_ct({"command": "c", "timeout": v}))

    # ---- POST: tags --------------------------------------------------------
    for label, v in (("string", "a,b"), ("object", {}), ("null", None), ("int", 1)):
        post(f"post_tags_{label}", with_(OK, tags=v))
    post("post_tag_item_int", with_(OK, tags=[1]))
    post("post_tag_item_null", with_(OK, tags=[None]))
    post("post_tag_items_mixed", with_(OK, tags=["ok", 1, None, ["x"]]))

    # ---- POST: multiple errors (ordering) ----------------------------------
    post("post_multiple_errors_ordering", {
        "tags": [1], "config": {"connection_test": {"timeout": "x", "enabled": "maybe"},
                                "files": [{"mode": 1}], "secrets": [1], "env_vars": {"A": 1},
                                "context_prompt": 1},
        "description": 1, "integration_type": "", "name": 1,
    })
    post("post_multiple_errors_all_missing_and_bad", {"description": [], "tags": "x"})

    # ---- POST: NaN / Infinity (accepted by Python's json module) ------------
    post("post_name_nan", '{"name": NaN, "integration_type": "x", "config": {}}', raw=True)
    post("post_timeout_infinity", '{"name": "n1", "integration_type": "x", "config": {"connection_test": {"command": "c", "timeout": Infinity}}}', raw=True)
    post("post_body_nan", "NaN", raw=True)

    # ---- POST: NUL characters (Postgres rejects them) ----------------------
    post("post_name_with_nul", with_(OK, name="a\u0000b"))
    post("post_env_value_with_nul", with_cfg(env_vars={"A": "a\u0000b"}))

    # ---- POST: bodies that are not JSON ------------------------------------
    for label, raw in (("open_brace", "{"), ("missing_value", '{"a":}'), ("not_json", "not json"),
                       ("unclosed_array", "[1,2"), ("trailing_comma", '{"name":"x",}'),
                       ("empty_string", ""), ("whitespace_only", "   "),
                       ("single_quotes", "{'name': 'x'}"),
                       ("trailing_garbage", '{"name":"n1","integration_type":"x","config":{}} x'),
                       ("unterminated_string", '{"name": "abc'),
                       ("unquoted_key", '{name: "x"}'),
                       ("missing_colon", '{"name" "x"}'),
                       ("invalid_escape", '{"name": "\\q"}'),
                       ("multiline_error", '{\n  "name": "x",\n  "config": ,\n}'),
                       ("unicode_before_error", '{"name": "é🚀", x}'),
                       ("control_char_in_string", '{"name": "a\tb"}'),
                       ("bad_unicode_escape", '{"name": "\\u12"}'),
                       ("missing_comma_in_object", '{"name": "x" "integration_type": "y"}'),
                       ("bom_then_invalid", "\ufeff{x}"),
                       ("nested_missing_value", '{"config": {"env_vars": {"A": }}}')):
        post(f"post_invalid_json_{label}", raw, raw=True)
    post("post_utf8_bom_body", "\ufeff" + dumps(OK), raw=True)
    post("post_name_lone_surrogate_escape", '{"name": "a\\ud800b", "integration_type": "x", "config": {}}', raw=True)
    post("post_name_escaped_unicode_ok", '{"name": "caf\\u00e9-\\ud83d\\ude80", "integration_type": "x", "config": {}}', raw=True)

    # ---- POST: valid JSON that is not an object ----------------------------
    for label, raw in (("array", "[]"), ("array_of_object", '[{"name":"x"}]'), ("number", "1"),
                       ("string", '"x"'), ("null", "null"), ("true", "true")):
        post(f"post_body_json_{label}", raw, raw=True)

    # ---- POST: content types / missing body --------------------------------
    post("post_text_plain_json_body", dumps(OK), ct="text/plain", raw=True)
    post("post_text_plain_not_json", "hello", ct="text/plain", raw=True)
    post("post_no_content_type_json_body", dumps(OK), ct=NO_CT, raw=True)
    post("post_no_content_type_invalid_json", "{", ct=NO_CT, raw=True)
    post("post_no_body_no_content_type", None, ct=NO_CT)
    post("post_no_body_json_content_type", None, ct=J)
    post("post_json_charset", dumps(OK), ct="application/json; charset=utf-8", raw=True)
    post("post_vendor_json", dumps(OK), ct="application/vnd.api+json", raw=True)
    post("post_form_urlencoded", "name=n1&integration_type=x", ct="application/x-www-form-urlencoded", raw=True)
    post("post_octet_stream_json", dumps(OK), ct="application/octet-stream", raw=True)

    # ---- PUT ---------------------------------------------------------------
    put("put_empty_object_no_change", {})
    put("put_all_null_no_change", {"name": None, "integration_type": None, "description": None,
                                   "config": None, "status": None, "tags": None})
    for fname in ("name", "integration_type", "description", "config", "status", "tags"):
        put(f"put_{fname}_null", {fname: None})
    put("put_name_ok", {"name": "renamed"})
    put("put_name_same_as_self_ok", {"name": "validation-base"})
    put("put_name_empty", {"name": ""})
    put("put_name_256_too_long", {"name": "a" * 256})
    put("put_name_255_ok", {"name": "b" * 255})
    put("put_name_int", {"name": 1})
    put("put_name_list", {"name": ["x"]})
    put("put_integration_type_101_too_long", {"integration_type": "t" * 101})
    put("put_integration_type_empty", {"integration_type": ""})
    put("put_integration_type_bool", {"integration_type": True})
    put("put_description_int", {"description": 1})
    put("put_description_empty_ok", {"description": ""})
    put("put_config_empty_replaces", {"config": {}})
    put("put_config_string", {"config": "x"})
    put("put_config_list", {"config": []})
    put("put_config_nested_errors", {"config": {"env_vars": {"A": 1}, "files": [{}],
                                                "connection_test": {"enabled": "maybe"}}})
    put("put_status_inactive", {"status": "inactive"})
    put("put_status_deleted", {"status": "deleted"})
    put("put_status_active", {"status": "active"})
    put("put_status_upper_ACTIVE", {"status": "ACTIVE"})
    put("put_status_bogus", {"status": "bogus"})
    put("put_status_int", {"status": 123})
    put("put_status_empty", {"status": ""})
    put("put_status_list", {"status": ["active"]})
    put("put_tags_ok", {"tags": ["x", "y"]})
    put("put_tags_empty_list", {"tags": []})
    put("put_tags_string", {"tags": "x"})
    put("put_tag_item_int", {"tags": [1]})
    put("put_unknown_keys_ignored", {"id": "00000000-0000-0000-0000-000000000000",
                                     "organization_id": "org-b", "created_by": "x", "foo": 1})
    put("put_multiple_errors_ordering", {"tags": "x", "status": "x", "config": 1,
                                         "description": 1, "integration_type": "", "name": 1})
    put("put_invalid_json", "{", raw=True)
    put("put_invalid_json_trailing_comma", '{"name":"x",}', raw=True)
    put("put_body_json_array", "[]", raw=True)
    put("put_body_json_null", "null", raw=True)
    put("put_body_json_number", "1", raw=True)
    put("put_text_plain", dumps({"name": "renamed"}), ct="text/plain", raw=True)
    put("put_no_body", None, ct=NO_CT)
    put("put_no_body_json_content_type", None, ct=J)
    put("put_no_content_type_json_body", dumps({"name": "renamed"}), ct=NO_CT, raw=True)
    put("put_unknown_id_valid_body_404", {"name": "x"},
        path=BASE_PATH + "/00000000-0000-4000-8000-000000000000")
    put("put_unknown_id_invalid_body_422", {"name": ""},
        path=BASE_PATH + "/00000000-0000-4000-8000-000000000000")
    put("put_name_taken_by_other_409", {"name": "other"})

    # ---- GET list query ----------------------------------------------------
    for label, q in (("status_ACTIVE", "status=ACTIVE"), ("status_bogus", "status=bogus"),
                     ("status_empty", "status="), ("status_active", "status=active"),
                     ("status_inactive", "status=inactive"), ("status_deleted", "status=deleted"),
                     ("status_repeated_last_wins", "status=bogus&status=active"),
                     ("status_repeated_bad_last", "status=active&status=bogus"),
                     ("status_Active_mixed_case", "status=Active"),
                     ("status_and_bad_other_params", "status=bogus&integration_type=&tags=&unknown=1"),
                     ("integration_type_empty", "integration_type="),
                     ("tags_empty", "tags="), ("no_query", "")):
        C.append((f"list_{label}", "GET", BASE_PATH, q, None, None))

    # ---- GET by id ---------------------------------------------------------
    C.append(("get_by_id", "GET", BASE_PATH + "/{id}", "", None, None))
    C.append(("get_by_id_with_ignored_body", "GET", BASE_PATH + "/{id}", "", J, "{"))

    # ---- DELETE hard_delete query -----------------------------------------
    for label, q in (("maybe", "hard_delete=maybe"), ("yes", "hard_delete=yes"),
                     ("1", "hard_delete=1"), ("true", "hard_delete=true"),
                     ("TRUE", "hard_delete=TRUE"), ("false", "hard_delete=false"),
                     ("0", "hard_delete=0"), ("no", "hard_delete=no"), ("off", "hard_delete=off"),
                     ("empty", "hard_delete="), ("2", "hard_delete=2"), ("none", "")):
        C.append((f"delete_hard_delete_{label}", "DELETE", BASE_PATH + "/{id}", q, None, None))
    return C


def run_validation():
    cases = []
    names = set()
    for name, method, path, query, ct, body in build_cases():
        assert name not in names, name
        names.add(name)
        truncate()
        r0 = send("POST", BASE_PATH, content_type=J, body=dumps(VALIDATION_BASE))
        assert r0.status_code == 201, r0.text
        base_id = r0.json()["id"]
        setup = EXTRA_SETUP.get(name, [])
        for extra_body in setup:
            r1 = send("POST", BASE_PATH, content_type=J, body=dumps(extra_body))
            assert r1.status_code == 201, r1.text
        real_path = path.replace("{id}", base_id)
        r = send(method, real_path, query, ct, body)
        resp, hdrs = parse_response(r)
        if isinstance(resp, (dict, list)):
            resp = normalize(resp, {base_id: None}, default_label="new")
        case = {"name": name, "method": method, "path": path, "query": query,
                "content_type": ct, "body": body, "status": r.status_code, "response": resp}
        if setup:
            case["setup"] = setup
        if hdrs:
            case["headers"] = hdrs
        if method == "PUT" and r.status_code == 200:
            # Timestamps are normalised away; keep the fact that matters.
            case["updated_at_changed"] = r.json()["updated_at"] != r0.json()["updated_at"]
        # Side effect of DELETE is part of the contract: record what a follow-up GET shows.
        if method == "DELETE" and r.status_code == 204:
            g = send("GET", BASE_PATH + "/" + base_id)
            case["then_get_status"] = g.status_code
            if g.status_code == 200:
                case["then_get_status_field"] = g.json()["status"]
        cases.append(case)
    return cases


# --------------------------------------------------------------------------
# Session ("done when") sequence
# --------------------------------------------------------------------------
FULL = {
    "name": "prod-postgres",
    "integration_type": "postgres",
    "description": "Production PostgreSQL",
    "config": {
        "env_vars": {"DB_HOST": "db.example.com", "DB_PORT": "5432"},
        "secrets": ["DB_PASSWORD", "DB_SSL_CERT"],
        "files": [
            {"path": "~/.postgresql/client.crt", "content": "-----BEGIN CERTIFICATE-----\nabc\n",
             "mode": "0600", "description": "client cert"},
            {"path": "~/.postgresql/client.key", "secret_ref": "PG_CLIENT_KEY"},
        ],
        "context_prompt": "Production database. Read-only queries unless asked.",
        "connection_test": {"command": "pg_isready -h $DB_HOST -p $DB_PORT"},
    },
    "tags": ["production", "database"],
}
MINIMAL = {"name": "scratch", "integration_type": "custom", "config": {}}
THIRD = {"name": "cache", "integration_type": "redis", "description": "Redis cache",
         "config": {"env_vars": {"REDIS_URL": "redis://cache:6379"}},
         "tags": ["production", "cache"]}


def session_steps():
    P = BASE_PATH
    S = []

    def step(name, method, path, query="", body=None, capture=None):
        S.append(dict(name=name, method=method, path=path, query=query, body=body, capture=capture))

    step("create_full", "POST", P, body=FULL, capture="full")
    step("create_minimal", "POST", P, body=MINIMAL, capture="min")
    step("create_third", "POST", P, body=THIRD, capture="third")
    step("create_duplicate_name", "POST", P, body={"name": "prod-postgres", "integration_type": "x", "config": {}})
    step("list_all", "GET", P)
    step("list_by_type_postgres", "GET", P, "integration_type=postgres")
    step("list_by_type_unknown", "GET", P, "integration_type=nope")
    step("list_status_active", "GET", P, "status=active")
    step("list_status_inactive_empty", "GET", P, "status=inactive")
    step("list_tags_one", "GET", P, "tags=production")
    step("list_tags_two", "GET", P, "tags=production,database")
    step("list_tags_spaces", "GET", P, "tags=%20production%20,%20cache%20")
    step("list_tags_trailing_comma", "GET", P, "tags=production,")
    step("list_tags_empty", "GET", P, "tags=")
    step("list_type_and_tags", "GET", P, "integration_type=redis&tags=production")
    step("get_full", "GET", P + "/{id:full}")
    step("get_min", "GET", P + "/{id:min}")
    step("get_third", "GET", P + "/{id:third}")
    step("get_full_upper_case_id", "GET", P + "/{ID:full}")
    step("update_name", "PUT", P + "/{id:min}", body={"name": "scratch-2"})
    step("update_integration_type", "PUT", P + "/{id:min}", body={"integration_type": "mysql"})
    step("update_description", "PUT", P + "/{id:min}", body={"description": "now described"})
    step("update_config", "PUT", P + "/{id:min}", body={"config": {
        "secrets": ["X"], "files": [{"path": "/etc/x.conf", "content": "x=1", "mode": "0640"}],
        "connection_test": {"command": "true", "enabled": False, "timeout": 9}}})
    step("update_status_inactive", "PUT", P + "/{id:min}", body={"status": "inactive"})
    step("list_status_inactive", "GET", P, "status=inactive")
    step("list_all_includes_inactive", "GET", P)
    step("update_status_active", "PUT", P + "/{id:min}", body={"status": "active"})
    step("update_tags", "PUT", P + "/{id:min}", body={"tags": ["scratch", "dev"]})
    step("update_empty_no_change", "PUT", P + "/{id:min}", body={})
    step("update_all_null_no_change", "PUT", P + "/{id:min}", body={
        "name": None, "integration_type": None, "description": None, "config": None,
        "status": None, "tags": None})
    step("update_name_taken", "PUT", P + "/{id:min}", body={"name": "prod-postgres"})
    step("update_unknown_uuid", "PUT", P + "/6f1c2b7e-0000-4000-8000-000000000000", body={"name": "zzz"})
    step("get_unknown_uuid", "GET", P + "/6f1c2b7e-0000-4000-8000-000000000000")
    step("get_non_uuid_id", "GET", P + "/not-a-uuid")
    step("put_non_uuid_id", "PUT", P + "/not-a-uuid", body={"name": "zzz"})
    step("delete_non_uuid_id", "DELETE", P + "/not-a-uuid")
    step("get_after_non_uuid_error", "GET", P + "/{id:third}")
    step("soft_delete_third", "DELETE", P + "/{id:third}")
    step("list_after_soft_delete", "GET", P)
    step("list_status_deleted", "GET", P, "status=deleted")
    step("get_soft_deleted", "GET", P + "/{id:third}")
    step("soft_delete_again", "DELETE", P + "/{id:third}")
    step("create_with_soft_deleted_name", "POST", P, body={"name": "cache", "integration_type": "redis", "config": {}})
    step("list_after_failed_create", "GET", P)
    step("rename_to_soft_deleted_name", "PUT", P + "/{id:min}", body={"name": "cache"})
    step("restore_soft_deleted_via_put", "PUT", P + "/{id:third}", body={"status": "active"})
    step("soft_delete_via_put_status", "PUT", P + "/{id:third}", body={"status": "deleted"})
    step("hard_delete_third", "DELETE", P + "/{id:third}", "hard_delete=true")
    step("get_after_hard_delete", "GET", P + "/{id:third}")
    step("delete_after_hard_delete", "DELETE", P + "/{id:third}", "hard_delete=true")
    step("create_after_hard_delete_reuses_name", "POST", P, body={"name": "cache", "integration_type": "redis", "config": {}}, capture="cache2")
    step("list_trailing_slash", "GET", P + "/")
    step("list_trailing_slash_with_query", "GET", P + "/", "status=active&tags=a,b")
    step("post_trailing_slash", "POST", P + "/", body=MINIMAL)
    step("patch_not_allowed", "PATCH", P + "/{id:full}", body={"name": "x"})
    step("post_on_item_not_allowed", "POST", P + "/{id:full}", body={})
    step("put_on_collection_not_allowed", "PUT", P, body={})
    step("list_final", "GET", P)
    return S


def run_session():
    truncate()
    id_labels = {}  # id -> label
    last_updated = {}  # id -> last updated_at seen
    label_ids = {}  # label -> id
    out = []

    def subst(path):
        def rep(m):
            v = label_ids[m.group(2)]
            return v.upper() if m.group(1) == "ID" else v
        return re.sub(r"\{(id|ID):([A-Za-z0-9_]+)\}", rep, path)

    for s in session_steps():
        body = None if s["body"] is None else dumps(s["body"])
        r = send(s["method"], subst(s["path"]), s["query"], J if body is not None else None, body)
        resp, hdrs = parse_response(r)
        if s["capture"] and r.status_code in (200, 201):
            new_id = r.json()["id"]
            id_labels[new_id] = s["capture"]
            label_ids[s["capture"]] = new_id
        extra = {}
        if r.status_code in (200, 201) and r.headers.get("content-type") == "application/json":
            items = resp if isinstance(resp, list) else [resp]
            for it in items:
                if s["method"] == "PUT":
                    extra["updated_at_changed"] = it["updated_at"] != last_updated[it["id"]]
                last_updated[it["id"]] = it["updated_at"]
        if isinstance(resp, (dict, list)):
            resp = normalize(resp, id_labels, default_label=False)
        out.append(dict(s, status=r.status_code, response=resp, headers=hdrs, **extra))
        # invariants worth knowing
        if s["name"] == "create_full":
            j = r.json()
            assert j["created_at"] == j["updated_at"], (j["created_at"], j["updated_at"])
    return {"organization_id": ORG["id"], "created_by": ORG["user_id"], "steps": out}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default_out = Path(__file__).resolve().parents[2] / "crates/server/tests/fixtures/reference"
    ap.add_argument("--out", type=Path, default=default_out)
    args = ap.parse_args()
    reset_schema()
    validation = run_validation()
    session = run_session()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "validation.json").write_text(json.dumps(validation, indent=2, ensure_ascii=False) + "\n")
    (args.out / "session.json").write_text(json.dumps(session, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {len(validation)} validation cases and {len(session['steps'])} session steps to {args.out}")


if __name__ == "__main__":
    main()
