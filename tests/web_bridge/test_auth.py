"""Authentication and authorisation: the access matrix, tokens, passwords, rate limits,
CORS, unsafe settings, and the admin CLI. A real app with a real SQLite user table."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time

import pytest
from fastapi.testclient import TestClient

from suwon_fleet.core.sites import load_fleet
from suwon_web_bridge.app import create_app
from suwon_web_bridge.auth import tokens
from suwon_web_bridge.auth.users import Role, UserStore
from suwon_web_bridge.calls import CallSystemSettings
from suwon_web_bridge.settings import BridgeSettings, UnsafeSettings
from tests.web_bridge.test_api import bridge_settings, log_in

SECRET = "k" * 40
PASSWORDS = {"viewer1": "viewer-pass-1", "operator1": "operator-pass-1"}
TASK = {"type": "go_to_place", "site_id": "city_hall", "place": "entrance"}


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> BridgeSettings:
    return bridge_settings(tmp_path_factory.mktemp("auth"), login_attempts_per_minute=1000)


@pytest.fixture(scope="module")
def client(settings):
    users = UserStore(settings.database)
    users.add("viewer1", PASSWORDS["viewer1"], Role.VIEWER)
    users.add("operator1", PASSWORDS["operator1"], Role.OPERATOR, "김운영 주무관")
    users.close()
    with TestClient(create_app(with_ros=False, settings=settings)) as test_client:
        yield test_client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# Route -> the least role that may use it (None: public). Without ROS, reads and writes that
# pass the access check answer 503 (the fleet is not there), which is not 401/403.
ROUTES = [
    ("GET", "/api/v1/fleet", Role.VIEWER),
    ("GET", "/api/v1/robots/lobby_1", Role.VIEWER),
    ("GET", "/api/v1/tasks", Role.VIEWER),
    ("GET", "/api/v1/sites", Role.VIEWER),
    ("GET", "/api/v1/sites/city_hall/map.png", Role.VIEWER),
    ("GET", "/api/v1/auth/me", Role.VIEWER),
    ("GET", "/api/v1/tasks/t-none", Role.VIEWER),
    ("GET", "/api/v1/alerts", Role.VIEWER),
    ("GET", "/api/v1/stats", Role.VIEWER),
    ("POST", "/api/v1/tasks", Role.OPERATOR),
    ("POST", "/api/v1/tasks/t-none/cancel", Role.OPERATOR),
    ("POST", "/api/v1/tasks/t-none/pause", Role.OPERATOR),
    ("POST", "/api/v1/alerts/a-none/acknowledge", Role.OPERATOR),
    ("POST", "/api/v1/robots/lobby_1/commands", Role.OPERATOR),
    ("GET", "/health", None),
    ("GET", "/api/v1/robots/lobby_1/screen", None),
    ("GET", "/api/v1/robots/lobby_1/screen/map.png", None),
]


@pytest.fixture(scope="module")
def logged_in(client) -> dict[str, str]:
    return {name: log_in(client, name, password) for name, password in PASSWORDS.items()}


@pytest.mark.parametrize(("method", "path", "least"), ROUTES)
def test_access_matrix(client, settings, logged_in, method, path, least) -> None:
    body = ({"command": "estop"} if path.endswith("/commands") else TASK) \
        if method == "POST" else None
    viewer, operator = logged_in["viewer1"], logged_in["operator1"]
    expired, _ = tokens.issue(settings.secret_key, "operator1", Role.OPERATOR, 1,
                              now=time.time() - 3600)
    forged, _ = tokens.issue("another-secret-of-enough-length-000000", "admin", Role.ADMIN, 30)

    def status(headers: dict[str, str]) -> int:
        return client.request(method, path, json=body, headers=headers).status_code

    if least is None:
        assert status({}) not in (401, 403)
        return
    for headers in ({}, bearer(expired), bearer(forged), bearer("not-a-jwt")):
        response = client.request(method, path, json=body, headers=headers)
        assert response.status_code == 401, (headers, response.text)
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.headers["content-type"] == "application/problem+json"
    assert status(bearer(viewer)) == (403 if least > Role.VIEWER else
                                      status(bearer(operator)))
    assert status(bearer(operator)) not in (401, 403)


def test_expired_token_says_so(client, settings) -> None:
    expired, _ = tokens.issue(settings.secret_key, "viewer1", Role.VIEWER, 1,
                              now=time.time() - 3600)
    response = client.get("/api/v1/fleet", headers=bearer(expired))
    assert "expired" in response.json()["detail"]


def test_forbidden_names_the_role_needed(client) -> None:
    viewer = log_in(client, "viewer1", PASSWORDS["viewer1"])
    problem = client.post("/api/v1/tasks", json=TASK, headers=bearer(viewer)).json()
    assert problem["status"] == 403 and "operator" in problem["detail"]


def test_token_is_short_lived_and_names_the_user(client, settings) -> None:
    response = client.post("/api/v1/auth/token",
                           data={"username": "operator1", "password": PASSWORDS["operator1"]})
    body = response.json()
    assert body["token_type"] == "bearer" and body["role"] == "operator"
    assert body["expires_in"] == settings.token_minutes * 60
    me = client.get("/api/v1/auth/me", headers=bearer(body["access_token"])).json()
    assert me == {"username": "operator1", "role": "operator", "display_name": "김운영 주무관"}


def test_wrong_password_and_unknown_user_look_the_same(client) -> None:
    wrong = client.post("/api/v1/auth/token", data={"username": "viewer1", "password": "x" * 9})
    unknown = client.post("/api/v1/auth/token", data={"username": "nobody", "password": "x" * 9})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]


def test_passwords_are_stored_as_argon2id_hashes(settings) -> None:
    with sqlite3.connect(settings.database) as db:
        rows = db.execute("SELECT username, password_hash FROM users").fetchall()
    assert rows
    for username, stored in rows:
        assert stored.startswith("$argon2id$")
        assert PASSWORDS.get(username, "test-admin-password") not in stored


def test_disabled_or_demoted_user_loses_access_at_once(client, settings) -> None:
    token = log_in(client, "operator1", PASSWORDS["operator1"])
    users = UserStore(settings.database)
    try:
        users.set_role("operator1", Role.VIEWER)
        assert client.post("/api/v1/tasks", json=TASK, headers=bearer(token)).status_code == 403
        users.set_disabled("operator1", True)
        assert client.get("/api/v1/fleet", headers=bearer(token)).status_code == 401
    finally:
        users.set_disabled("operator1", False)
        users.set_role("operator1", Role.OPERATOR)
        users.close()


def test_login_is_rate_limited(tmp_path) -> None:
    settings = bridge_settings(tmp_path, login_attempts_per_minute=3)
    with TestClient(create_app(with_ros=False, settings=settings)) as client:
        codes = [client.post("/api/v1/auth/token",
                             data={"username": "admin", "password": "wrong-password"}).status_code
                 for _ in range(4)]
        assert codes == [401, 401, 401, 429]
        refused = client.post("/api/v1/auth/token",
                              data={"username": "admin", "password": "test-admin-password"})
        assert refused.status_code == 429  # even the right password waits out the window
        assert int(refused.headers["retry-after"]) >= 1


def test_public_routes_are_rate_limited(tmp_path) -> None:
    settings = bridge_settings(tmp_path, public_requests_per_minute=5)
    with TestClient(create_app(with_ros=False, settings=settings)) as client:
        codes = [client.get("/health").status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]


def test_cors_closed_by_default_and_open_only_to_listed_origins(client, tmp_path) -> None:
    preflight = {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    response = client.options("/api/v1/tasks", headers=preflight)
    assert "access-control-allow-origin" not in response.headers
    settings = bridge_settings(tmp_path, cors_origins=["https://ops.suwon.go.kr"])
    with TestClient(create_app(with_ros=False, settings=settings)) as open_client:
        allowed = open_client.options("/api/v1/tasks", headers={
            **preflight, "Origin": "https://ops.suwon.go.kr"})
        assert allowed.headers["access-control-allow-origin"] == "https://ops.suwon.go.kr"
        refused = open_client.options("/api/v1/tasks", headers=preflight)
        assert "access-control-allow-origin" not in refused.headers


@pytest.mark.parametrize("environ", [
    {"SUWON_BRIDGE_MODE": "production"},
    {"SUWON_BRIDGE_MODE": "production", "SUWON_BRIDGE_SECRET": "changeme"},
    {"SUWON_BRIDGE_MODE": "production", "SUWON_BRIDGE_SECRET": "short-secret"},
    {"SUWON_BRIDGE_MODE": "production", "SUWON_BRIDGE_SECRET": "s" * 40,
     "SUWON_BRIDGE_ADMIN_PASSWORD": "anything-at-all"},
    {"SUWON_BRIDGE_CORS_ORIGINS": "*"},
])
def test_unsafe_settings_refuse_to_start(tmp_path, environ) -> None:
    fleet = load_fleet(check_maps=False)
    with pytest.raises((UnsafeSettings, ValueError)):
        BridgeSettings.from_env(fleet, {**environ,
                                        "SUWON_BRIDGE_DATABASE": str(tmp_path / "b.db")})


def test_production_with_a_real_secret_starts(tmp_path) -> None:
    fleet = load_fleet(check_maps=False)
    settings = BridgeSettings.from_env(fleet, {
        "SUWON_BRIDGE_MODE": "production", "SUWON_BRIDGE_SECRET": "9f" * 32,
        "SUWON_BRIDGE_DATABASE": str(tmp_path / "b.db")})
    calls = CallSystemSettings(shared_secret="c" * 32,
                               board_tokens={"city_hall": "b" * 20, "ilwol_arboretum": "a" * 20})
    with TestClient(create_app(fleet, with_ros=False, settings=settings,
                               call_settings=calls)) as client:
        # No user is created behind the operator's back in production.
        assert client.post("/api/v1/auth/token", data={"username": "admin",
                                                        "password": "x" * 12}).status_code == 401


def test_development_secret_is_random_and_kept(tmp_path) -> None:
    fleet = load_fleet(check_maps=False)
    env = {"SUWON_BRIDGE_DATABASE": str(tmp_path / "b.db")}
    first = BridgeSettings.from_env(fleet, env).secret_key
    assert len(first) >= 32 and first == BridgeSettings.from_env(fleet, env).secret_key
    assert (tmp_path / "web_bridge.secret").stat().st_mode & 0o777 == 0o600


def test_web_bridge_refuses_to_start_in_production_without_secret(tmp_path) -> None:
    env = {"PATH": "/usr/bin:/bin", "SUWON_BRIDGE_MODE": "production",
           "SUWON_BRIDGE_DATABASE": str(tmp_path / "b.db")}
    result = subprocess.run([sys.executable, "-m", "suwon_web_bridge.main", "--port", "1"],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "refusing to start" in result.stderr and "SUWON_BRIDGE_SECRET" in result.stderr


def test_admin_cli_manages_users(tmp_path) -> None:
    database = str(tmp_path / "users.db")

    def cli(*args: str, password: str = "") -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "suwon_web_bridge.auth.cli", "--database",
                               database, *args], input=password, capture_output=True,
                              text=True, timeout=60)

    assert cli("add", "kim", "--role", "operator", "--name", "김민원",
               "--password-stdin", password="kim-password\n").returncode == 0
    assert cli("add", "kim", "--password-stdin", password="another-pass\n").returncode == 2
    short = cli("add", "lee", "--password-stdin", password="short\n")
    assert short.returncode == 2 and "at least 8" in short.stderr
    assert cli("role", "kim", "admin").returncode == 0
    listing = cli("list").stdout
    assert "kim" in listing and "admin" in listing and "김민원" in listing
    assert cli("passwd", "kim", "--password-stdin", password="new-password\n").returncode == 0
    users = UserStore(database)
    assert users.authenticate("kim", "new-password").role is Role.ADMIN
    assert users.authenticate("kim", "kim-password") is None
    users.close()
    assert cli("remove", "kim").returncode == 0
    assert "no user" in cli("remove", "kim").stderr
