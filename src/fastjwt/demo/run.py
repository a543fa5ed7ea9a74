"""``fastjwt demo``: a secure gRPC + JWT flow, live, in one command.

Starts on 127.0.0.1, with ports chosen by the system:

- the token service (:mod:`fastjwt.demo.token_service`, gRPC over TLS) with
  its SQLite state in a temporary directory, and its JWKS over HTTP;
- the resource service (:mod:`fastjwt.demo.resource`) behind
  :class:`fastjwt.grpc.AuthInterceptor` over TLS, its policy read from the
  ``fastjwt.auth.v1`` options of ``resource.proto``, with gRPC health checking
  and reflection; it finds the token service's keys through a
  :class:`fastjwt.JWKSClient`;
- a client whose channel carries :class:`fastjwt.grpc.TokenCallCredentials`
  over a :class:`fastjwt.grpc.RefreshingTokenProvider` that logs in to the
  token service and then refreshes.

A CA and certificates (:class:`fastjwt._pki.DevPKI`) are generated at start
into the temporary directory, which is removed at exit. Then it walks through
the steps below and prints one line per step; the exit status is 0 when every
step behaved as expected and 1 otherwise (the failed steps are named), so the
demo doubles as an end-to-end test. ``--serve`` starts the services, prints
one JSON object describing them on stdout and serves until interrupted.

``FASTJWT_DEMO_FAULT=no-interceptor`` runs the resource service without the
interceptor (a fault hook for tests: the checks that depend on it must fail).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import logging
import os
import secrets
import shutil
import signal
import sys
import tempfile
import textwrap
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Optional, TextIO, Tuple

import grpc

from ..api_jws import get_unverified_header
from ..jwks_client import JWKSClient
from ..validator import Validator
from .issuer import TokenIssuer
from .jwks_http import JWKSServer
from .keyring import KeyRing
from .store import TokenStore
from .token_service import serve_token_service

__all__ = ["STEPS", "Services", "run_demo"]

ISSUER = "https://token.fastjwt-demo.localhost"
AUDIENCE = "fastjwt-demo-resource"
CLIENT_ID = "demo-client"
CLIENT_SCOPES = ("items:read", "items:write")
FAULT_ENV = "FASTJWT_DEMO_FAULT"
_RESOURCE = "/fastjwt.demo.v1.ResourceService/"

#: The steps, in order (a failure names one of these).
STEPS = (
    "services",
    "log in",
    "allowed RPC",
    "public RPC",
    "missing scope",
    "no token",
    "tampered token",
    "expired token",
    "alg none token",
    "HS256 signed with the public key",
    "key rotation under load",
    "refresh rotation and reuse detection",
    "streaming RPCs",
    "load",
)


# ------------------------------------------------------------------------- log


class Log:
    """The human step log: one line per step, coloured on a terminal."""

    _CODES = {"green": "32", "red": "31", "dim": "2", "bold": "1", "cyan": "36", "yellow": "33"}

    def __init__(self, stream: TextIO, color: bool) -> None:
        self.stream = stream
        self.color = color
        self.tty = stream.isatty()
        self._lock = threading.Lock()

    def paint(self, text: str, style: str) -> str:
        """``text`` in a colour (or as is without colour)."""
        return f"\033[{self._CODES[style]}m{text}\033[0m" if self.color else text

    def line(self, text: str = "") -> None:
        """One line."""
        with self._lock:
            self.stream.write(text + "\n")
            self.stream.flush()

    def step(self, number: int, result: StepResult) -> None:
        """A finished step."""
        mark = self.paint("✓", "green") if result.ok else self.paint("✗", "red")
        name = self.paint(result.name, "bold" if result.ok else "red")
        timing = self.paint(f"({result.seconds * 1000:.0f} ms)", "dim")
        width = max(60, shutil.get_terminal_size((100, 24)).columns - 1)
        detail = textwrap.fill(result.detail, width, initial_indent=" " * 7, subsequent_indent=" " * 7)
        self.line(f" {mark} {number:2}. {name} {timing}\n{detail}")

    def progress(self, text: str) -> None:
        """A transient line, redrawn in place on a terminal (nothing otherwise)."""
        if self.tty:
            with self._lock:
                self.stream.write("\r\033[K" + self.paint(text, "cyan"))
                self.stream.flush()

    def end_progress(self) -> None:
        """Clear the transient line."""
        if self.tty:
            with self._lock:
                self.stream.write("\r\033[K")
                self.stream.flush()


class _LogHandler(logging.Handler):
    """The services' warnings (e.g. a detected refresh-token reuse) as dim lines in the step log."""

    def __init__(self, log: Log) -> None:
        super().__init__(logging.WARNING)
        self._log = log

    def emit(self, record: logging.LogRecord) -> None:
        """Write the record as a dim line (never the raising kind: it runs on server threads)."""
        try:
            self._log.line(self._log.paint(f"      server log: {record.getMessage()}", "dim"))
        except OSError:
            pass  # the reader went away (on a server thread: the walkthrough notices on its next line)


# -------------------------------------------------------------------- services


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass
class Session:
    """The client's side of the token service: log in once, then refresh
    (each refresh rotates the refresh token); log in again when refused."""

    stub: Any
    client_id: str
    client_secret: str
    refresh_token: Optional[str] = None
    logins: int = 0
    kids: List[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def fetch(self) -> Tuple[str, float]:
        """A new access token and its expiry time (the RefreshingTokenProvider's ``fetch``)."""
        from .v1 import token_pb2

        with self._lock:
            response = None
            if self.refresh_token is not None:
                try:
                    response = self.stub.Refresh(token_pb2.RefreshRequest(refresh_token=self.refresh_token), timeout=10)
                except grpc.RpcError as err:
                    if err.code() != grpc.StatusCode.UNAUTHENTICATED:
                        raise
                    self.refresh_token = None  # revoked or expired: log in again
            if response is None:
                credentials = token_pb2.ClientCredentials(client_id=self.client_id, client_secret=self.client_secret)
                response = self.stub.Login(token_pb2.LoginRequest(client=credentials), timeout=10)
                self.logins += 1
            self.refresh_token = response.refresh_token
            self.kids.append(get_unverified_header(response.access_token).get("kid", ""))
            return response.access_token, time.time() + response.expires_in


class Services:
    """Everything the demo runs, on 127.0.0.1 with automatic ports; :meth:`close`
    stops it all and removes the temporary directory.

    Args:
        access_ttl: access token lifetime (seconds).
        activation_delay: seconds between publishing a new signing key and signing with it.
        protect: put the interceptor in front of the resource service (False only as a fault hook).
    """

    def __init__(self, *, access_ttl: int = 120, activation_delay: float = 1.5, protect: bool = True) -> None:
        self.access_ttl = access_ttl
        self.activation_delay = activation_delay
        self.protect = protect
        self.client_id = CLIENT_ID
        self.client_secret = secrets.token_urlsafe(24)
        self.tmp: Optional[str] = None
        self._closers: List[Callable[[], Any]] = []
        self._servers: List[grpc.Server] = []

    def start(self) -> Services:
        """Start everything (on failure, whatever started is stopped again)."""
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def _start(self) -> None:
        from .._pki import DevPKI
        from ..grpc import RefreshingTokenProvider, TokenCallCredentials
        from .resource import resource_policy, serve_resource
        from .v1 import resource_pb2_grpc, token_pb2_grpc

        self.tmp = tempfile.mkdtemp(prefix="fastjwt-demo-")
        pki = DevPKI.create()
        self.paths = pki.write(self.tmp)
        self.ca_pem = pki.ca.cert_pem
        server_credentials = grpc.ssl_server_credentials([(pki.server.key_pem, pki.server.cert_pem)])

        # The token service: SQLite state, versioned keys, the JWKS over HTTP, gRPC over TLS.
        self.store = TokenStore(os.path.join(self.tmp, "tokens.db"))
        self.store.add_principal("client", self.client_id, self.client_secret, CLIENT_SCOPES)
        self.keyring = KeyRing("ES256", activation_delay=self.activation_delay, max_token_lifetime=self.access_ttl,
                               leeway=5)
        self.issuer = TokenIssuer(self.store, self.keyring, issuer=ISSUER, audience=AUDIENCE,
                                  access_ttl=self.access_ttl)
        self.jwks_server = JWKSServer(self.keyring, max_age=1).start()  # max-age below the activation delay
        self._closers.append(self.jwks_server.close)
        self.token_server, self.token_port = serve_token_service(self.issuer, credentials=server_credentials)
        self._servers.append(self.token_server)

        # The resource service: keys from the JWKS, policy from resource.proto.
        self.jwks_client = JWKSClient(self.jwks_server.url, min_refresh=1, default_refresh=1,
                                      unknown_kid_cooldown=1, timeout=2)
        self._closers.append(self.jwks_client.close)
        self.validator = Validator(keys=self.jwks_client, algorithms=["ES256"], audience=AUDIENCE, issuer=ISSUER,
                                   typ="at+jwt", leeway=5, require=["exp", "iat", "sub"])
        self.policy = resource_policy()
        self.resource_server, self.resource_port, self.servicer, self.interceptor = serve_resource(
            self.validator, credentials=server_credentials, policy=self.policy, protect=self.protect)
        self._servers.append(self.resource_server)

        # The client: TLS channels; the main one carries a refreshing token provider.
        tls = grpc.ssl_channel_credentials(self.ca_pem)
        self.token_channel = grpc.secure_channel(f"127.0.0.1:{self.token_port}", tls)
        self._closers.append(self.token_channel.close)
        self.token_stub = token_pb2_grpc.TokenServiceStub(self.token_channel)
        self.session = Session(self.token_stub, self.client_id, self.client_secret)
        self.provider = RefreshingTokenProvider(self.session.fetch, margin=10)
        self.channel = grpc.secure_channel(
            f"127.0.0.1:{self.resource_port}",
            grpc.composite_channel_credentials(tls, TokenCallCredentials(self.provider)),
        )
        self._closers.append(self.channel.close)
        self.stub = resource_pb2_grpc.ResourceServiceStub(self.channel)
        # A channel without credentials: for public calls and hand-made (bad) tokens.
        self.bare_channel = grpc.secure_channel(f"127.0.0.1:{self.resource_port}", tls)
        self._closers.append(self.bare_channel.close)
        self.bare_stub = resource_pb2_grpc.ResourceServiceStub(self.bare_channel)

    def close(self) -> None:
        """Stop everything; remove the temporary directory.

        The gRPC servers stop first, gracefully: their clients get a clean GOAWAY
        (closing a channel first races with its transport's teardown, and a
        cancelling stop then makes gRPC log the connection's abrupt end).
        """
        stopped = [server.stop(grace=1.0) for server in reversed(self._servers)]
        self._servers.clear()
        for event in stopped:
            event.wait(5)
        while self._closers:
            closer = self._closers.pop()
            try:
                closer()
            except Exception:  # noqa: BLE001 - stopping must go on
                pass
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    def __enter__(self) -> Services:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def methods(self) -> Dict[str, Dict[str, Any]]:
        """Each resource method's rule, as in the ``--serve`` line."""
        from .v1 import resource_pb2

        service = resource_pb2.DESCRIPTOR.services_by_name["ResourceService"]
        out = {}
        for method in service.methods:
            name = f"/{service.full_name}/{method.name}"
            rule = self.policy.rule_for(name)
            out[name] = {"scopes": list(rule.scopes), "public": rule.public}
        return out

    def describe(self) -> Dict[str, Any]:
        """The ``--serve`` JSON object."""
        return {
            "token_service": f"127.0.0.1:{self.token_port}",
            "resource": f"127.0.0.1:{self.resource_port}",
            "jwks_url": self.jwks_server.url,
            "ca_cert": self.paths["ca.pem"],
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "issuer": ISSUER,
            "audience": AUDIENCE,
            "methods": self.methods(),
        }


# ----------------------------------------------------------------------- steps


class StepFailed(Exception):
    """A step did not behave as expected (the message says how)."""


@dataclass
class StepResult:
    """One step's outcome."""

    name: str
    ok: bool
    detail: str
    seconds: float


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise StepFailed(message)


def _bearer(token: str) -> Tuple[Tuple[str, str]]:
    return (("authorization", f"Bearer {token}"),)


class Walkthrough:
    """The steps of the demo against running :class:`Services`."""

    def __init__(self, services: Services, log: Log, duration: float) -> None:
        self.s = services
        self.log = log
        self.duration = duration
        self.results: List[StepResult] = []
        self.load: Dict[str, Any] = {}

    def run(self) -> List[StepResult]:
        """Every step, in order; a failed step does not stop the others."""
        for number, name in enumerate(STEPS, 1):
            method = getattr(self, "step_" + name.replace(" ", "_").replace("-", "_").lower())
            start = time.perf_counter()
            try:
                detail, ok = method(), True
            except StepFailed as err:
                detail, ok = str(err), False
            except grpc.RpcError as err:
                detail, ok = f"unexpected {err.code().name}: {err.details()}", False
            except Exception as err:  # noqa: BLE001 - any surprise fails the step, not the demo
                detail, ok = f"unexpected {type(err).__name__}: {err}", False
            result = StepResult(name, ok, detail, time.perf_counter() - start)
            self.results.append(result)
            self.log.step(number, result)
        return self.results

    # -- helpers

    def _calls(self, method: str) -> int:
        return self.s.servicer.calls[method]

    def _refused(self, method: str, token: Optional[str], code: grpc.StatusCode) -> str:
        """Call ``method`` with ``token`` on the bare channel; expect ``code`` and the handler untouched."""
        from .v1 import resource_pb2

        requests = {"GetItem": resource_pb2.GetItemRequest(id="2"),
                    "DeleteItem": resource_pb2.DeleteItemRequest(id="1")}
        before = self._calls(method)
        metadata = _bearer(token) if token is not None else None
        try:
            getattr(self.s.bare_stub, method)(requests[method], metadata=metadata, timeout=10)
        except grpc.RpcError as err:
            _expect(err.code() == code, f"{method} ended {err.code().name} ({err.details()}), expected {code.name}")
            _expect(self._calls(method) == before, f"{method}'s handler ran for a refused call")
            return f"{method} → {err.code().name} ({err.details()}); handler not reached"
        raise StepFailed(f"{method} succeeded, expected {code.name}")

    def _claims_template(self) -> Dict[str, Any]:
        now = int(time.time())
        return {"iss": ISSUER, "sub": self.s.client_id, "aud": AUDIENCE, "iat": now, "nbf": now, "exp": now + 60,
                "jti": secrets.token_urlsafe(16), "scope": "items:read items:write items:admin"}

    # -- the steps

    def step_services(self) -> str:
        """Health checking and reflection answer without a token; where everything runs."""
        from grpc_health.v1 import health_pb2, health_pb2_grpc
        from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

        health = health_pb2_grpc.HealthStub(self.s.bare_channel)
        request = health_pb2.HealthCheckRequest(service="fastjwt.demo.v1.ResourceService")
        # typeshed's stub of HealthStub declares none of the methods the generated class sets.
        status = health.Check(request, timeout=10)  # pyright: ignore[reportAttributeAccessIssue]
        _expect(status.status == health_pb2.HealthCheckResponse.SERVING, "health check: not SERVING")
        services = ProtoReflectionDescriptorDatabase(self.s.bare_channel).get_services()
        _expect("fastjwt.demo.v1.ResourceService" in services, f"reflection lists {services}")
        rules = len(self.s.policy.rules)
        protected = "AuthInterceptor" if self.s.protect else self.log.paint("NO interceptor (fault hook)", "red")
        return (f"token service 127.0.0.1:{self.s.token_port} (TLS), JWKS {self.s.jwks_server.url}, resource "
                f"127.0.0.1:{self.s.resource_port} (TLS, {protected}, {rules} rules from resource.proto); "
                f"health SERVING and reflection without a token")

    def step_log_in(self) -> str:
        """The provider logs in with client credentials and holds an access token."""
        token = self.s.provider.token()
        header = get_unverified_header(token)
        _expect(self.s.session.logins == 1, "the provider did not log in")
        _expect(header.get("kid") == self.s.keyring.signing_key().kid, "the token names another key")
        return (f"client credentials → {header['alg']} access token (kid {header['kid'][:8]}…, "
                f"{self.s.access_ttl} s, scope {' '.join(CLIENT_SCOPES)}) and a refresh token")

    def step_allowed_rpc(self) -> str:
        """GetItem with items:read: the handler runs and sees the verified claims."""
        from .v1 import resource_pb2

        before = self._calls("GetItem")
        item = self.s.stub.GetItem(resource_pb2.GetItemRequest(id="1"), timeout=10)
        _expect(self._calls("GetItem") == before + 1, "the handler did not run")
        _expect(item.seen_by == self.s.client_id, f"the handler saw no verified claims (sub {item.seen_by!r})")
        return f"GetItem needs items:read → OK; the handler saw sub={item.seen_by} via current_claims()"

    def step_public_rpc(self) -> str:
        """ServerInfo, public in resource.proto, answers without a token."""
        from .v1 import resource_pb2

        info = self.s.bare_stub.ServerInfo(resource_pb2.ServerInfoRequest(), timeout=10)
        _expect(info.caller == "", "a caller without a token was named")
        return "ServerInfo is public in resource.proto → OK without a token"

    def step_missing_scope(self) -> str:
        """DeleteItem needs items:admin: PERMISSION_DENIED, handler not reached."""
        from .v1 import resource_pb2

        before = self._calls("DeleteItem")
        try:
            self.s.stub.DeleteItem(resource_pb2.DeleteItemRequest(id="1"), timeout=10)
        except grpc.RpcError as err:
            _expect(err.code() == grpc.StatusCode.PERMISSION_DENIED,
                    f"DeleteItem ended {err.code().name}, expected PERMISSION_DENIED")
            _expect(self._calls("DeleteItem") == before, "DeleteItem's handler ran")
            return f"DeleteItem needs items:admin → PERMISSION_DENIED ({err.details()}); handler not reached"
        raise StepFailed("DeleteItem succeeded without items:admin")

    def step_no_token(self) -> str:
        """A call without a token: UNAUTHENTICATED."""
        return self._refused("GetItem", None, grpc.StatusCode.UNAUTHENTICATED)

    def step_tampered_token(self) -> str:
        """A valid token with an edited payload: UNAUTHENTICATED."""
        # Grant ourselves items:admin in a valid token's payload and keep its signature.
        header, payload, signature = self.s.provider.token().split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        claims["scope"] += " items:admin"
        forged = f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"
        refused = self._refused("DeleteItem", forged, grpc.StatusCode.UNAUTHENTICATED)
        return "scope edited to add items:admin: " + refused

    def step_expired_token(self) -> str:
        """A token signed by the real key but expired: UNAUTHENTICATED."""
        claims = self._claims_template()
        claims.update(iat=claims["iat"] - 600, nbf=claims["iat"] - 600, exp=claims["iat"] - 300)
        token = self.s.keyring.sign(claims, headers={"typ": "at+jwt"})  # the real key: only the time is wrong
        return "signed by the real key, expired 5 min ago: " + self._refused(
            "GetItem", token, grpc.StatusCode.UNAUTHENTICATED)

    def step_alg_none_token(self) -> str:
        """An unsigned ``alg: none`` token: UNAUTHENTICATED."""
        header = {"alg": "none", "typ": "at+jwt"}
        token = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(self._claims_template()).encode())}."
        return "unsigned: " + self._refused("DeleteItem", token, grpc.StatusCode.UNAUTHENTICATED)

    def step_hs256_signed_with_the_public_key(self) -> str:
        """Key confusion (HS256 keyed with the public key): UNAUTHENTICATED."""
        # The classic key-confusion attack: HMAC keyed with the (public) verification key's PEM.
        from cryptography.hazmat.primitives import serialization

        key = self.s.keyring.signing_key()
        public_pem = key.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        header = _b64(json.dumps({"alg": "HS256", "typ": "at+jwt", "kid": key.kid}).encode())
        payload = _b64(json.dumps(self._claims_template()).encode())
        mac = hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        return "HMAC keyed with the public key's PEM: " + self._refused(
            "DeleteItem", f"{header}.{payload}.{_b64(mac)}", grpc.StatusCode.UNAUTHENTICATED)

    def _call_loop(self, stop: threading.Event, stats: Dict[str, Any]) -> None:
        from .v1 import resource_pb2

        request = resource_pb2.GetItemRequest(id="2")
        while not stop.is_set():
            start = time.perf_counter()
            try:
                self.s.stub.GetItem(request, timeout=10)
            except grpc.RpcError as err:
                with stats["lock"]:
                    stats["failed"] += 1
                    stats["errors"].add(f"{err.code().name}: {err.details()}")
                continue
            elapsed = time.perf_counter() - start
            with stats["lock"]:
                stats["latencies"].append(elapsed)
                stats["since_switch"] += 1

    def _calls_in_background(self, threads: int) -> Tuple[threading.Event, Dict[str, Any], List[threading.Thread]]:
        stop = threading.Event()
        stats: Dict[str, Any] = {"lock": threading.Lock(), "failed": 0, "errors": set(), "latencies": [],
                                 "since_switch": 0}
        workers = [threading.Thread(target=self._call_loop, args=(stop, stats), daemon=True, name=f"demo-load-{i}")
                   for i in range(threads)]
        for worker in workers:
            worker.start()
        return stop, stats, workers

    @staticmethod
    def _stop(stop: threading.Event, workers: List[threading.Thread]) -> None:
        stop.set()
        for worker in workers:
            worker.join(15)

    def step_key_rotation_under_load(self) -> str:
        """A signing-key rotation while calls flow: no call fails."""
        stop, stats, workers = self._calls_in_background(2)
        try:
            time.sleep(0.3)
            old = self.s.keyring.signing_key()
            new = self.s.keyring.rotate()
            self.log.progress(f"new key {new.kid[:8]}… published; signing switches in {self.s.activation_delay} s")
            time.sleep(max(0.0, new.active_from - time.time()) + 0.05)
            _expect(self.s.keyring.signing_key() is new, "the new key did not start signing")
            self.s.provider.invalidate()  # the client fetches a token signed with the new key ...
            self.s.provider.token()
            with stats["lock"]:
                stats["since_switch"] = 0  # ... and the calls from here on carry it
            deadline = time.time() + 5
            while time.time() < deadline and stats["since_switch"] < 20:
                time.sleep(0.05)
        finally:
            self._stop(stop, workers)
            self.log.end_progress()
        calls = len(stats["latencies"]) + stats["failed"]
        _expect(stats["failed"] == 0, f"{stats['failed']} of {calls} calls failed: {sorted(stats['errors'])}")
        _expect(self.s.session.kids[-1] == new.kid, "the client's token is not signed with the new key")
        _expect(stats["since_switch"] > 0, "no call succeeded with the new key's token")
        published = [k.kid for k in self.s.keyring.published()]
        _expect(old.kid in published, "the old key was dropped while its tokens are valid")
        return (f"key {new.kid[:8]}… published, signing switched {self.s.activation_delay} s later, the client "
                f"refreshed onto it; the old key stays published; {calls} calls, 0 failed")

    def step_refresh_rotation_and_reuse_detection(self) -> str:
        """Refresh tokens rotate; a replayed one revokes its family; the client logs in again."""
        from .v1 import resource_pb2, token_pb2

        session = self.s.session
        spent = session.refresh_token
        self.s.provider.invalidate()
        self.s.provider.token()  # a refresh: the refresh token is rotated
        current = session.refresh_token
        _expect(spent is not None and current != spent, "the refresh token was not rotated")
        try:  # an attacker replays the spent refresh token
            self.s.token_stub.Refresh(token_pb2.RefreshRequest(refresh_token=spent), timeout=10)
            raise StepFailed("a spent refresh token was accepted")
        except grpc.RpcError as err:
            _expect(err.code() == grpc.StatusCode.UNAUTHENTICATED, f"replay ended {err.code().name}")
            replay = err.details()
        try:  # ... which revoked the family: the client's current token is dead too
            self.s.token_stub.Refresh(token_pb2.RefreshRequest(refresh_token=current), timeout=10)
            raise StepFailed("the family was not revoked after a reuse")
        except grpc.RpcError as err:
            _expect(err.code() == grpc.StatusCode.UNAUTHENTICATED, f"refresh ended {err.code().name}")
            revoked = err.details()
        logins = session.logins
        self.s.provider.invalidate()
        self.s.stub.GetItem(resource_pb2.GetItemRequest(id="3"), timeout=10)
        _expect(session.logins == logins + 1, "the client did not log in again")
        return (f"each refresh rotates the refresh token; replaying a spent one → UNAUTHENTICATED ({replay}); "
                f"the client's current one → UNAUTHENTICATED ({revoked}); the client logged in again")

    def step_streaming_rpcs(self) -> str:
        """Server, client and bidirectional streaming under the same policy."""
        from .v1 import resource_pb2

        listed = list(self.s.stub.ListItems(resource_pb2.ListItemsRequest(limit=3), timeout=10))
        _expect(len(listed) == 3 and all(i.seen_by == self.s.client_id for i in listed),
                f"ListItems gave {len(listed)} items, seen by {sorted({i.seen_by for i in listed})}")
        items = [resource_pb2.Item(id=f"n{i}", name=f"new {i}") for i in range(4)]
        stored = self.s.stub.PutItems(iter(items), timeout=10).stored
        _expect(stored == 4, f"PutItems stored {stored}")
        echoed = list(self.s.stub.Chat(iter(items), timeout=10))
        _expect([i.id for i in echoed] == [i.id for i in items] and all(i.seen_by == self.s.client_id for i in echoed),
                "Chat did not echo every item with the caller")
        return ("ListItems (server streaming) → 3 items; PutItems (client streaming, items:write) → 4 stored; "
                "Chat (bidirectional) → 4 echoes; every handler saw the caller's claims")

    def step_load(self) -> str:
        """Calls from four threads for ``duration`` seconds: calls/s, p50/p99, cache hit rate."""
        if self.duration <= 0:
            return "skipped (--duration 0)"
        before = self.s.interceptor.stats() if self.s.interceptor is not None else None
        stop, stats, workers = self._calls_in_background(4)
        start = time.perf_counter()
        try:
            while (elapsed := time.perf_counter() - start) < self.duration:
                with stats["lock"]:
                    done = len(stats["latencies"])
                bar = "#" * int(20 * elapsed / self.duration)
                self.log.progress(f"   load [{bar:<20}] {elapsed:4.1f}/{self.duration:g} s  {done} calls")
                time.sleep(0.1)
        finally:
            self._stop(stop, workers)
            elapsed = time.perf_counter() - start
            self.log.end_progress()
        latencies: List[float] = sorted(stats["latencies"])
        _expect(stats["failed"] == 0, f"{stats['failed']} calls failed: {sorted(stats['errors'])}")
        _expect(bool(latencies), "no call completed")
        hit_rate: Optional[float] = None
        if before is not None and self.s.interceptor is not None:
            after = self.s.interceptor.stats()
            hits = after["cache_hits"] - before["cache_hits"]
            misses = after["cache_misses"] - before["cache_misses"]
            hit_rate = hits / (hits + misses) if hits + misses else None

        def quantile(q: float) -> float:
            """The latency at quantile ``q``, in milliseconds."""
            return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000

        self.load = {"calls": len(latencies), "seconds": round(elapsed, 3), "failed": 0,
                     "calls_per_s": round(len(latencies) / elapsed, 1), "p50_ms": round(quantile(0.5), 3),
                     "p99_ms": round(quantile(0.99), 3),
                     "cache_hit_rate": None if hit_rate is None else round(hit_rate, 4)}
        rate = "n/a" if hit_rate is None else f"{hit_rate:.1%}"
        return (f"{self.load['calls']} calls in {elapsed:.1f} s from 4 threads: "
                f"{self.load['calls_per_s']:.0f} calls/s, "
                f"p50 {self.load['p50_ms']:.2f} ms, p99 {self.load['p99_ms']:.2f} ms, cache hit rate {rate}, 0 failed")


# ------------------------------------------------------------------------ main


def _fault() -> Optional[str]:
    fault = os.environ.get(FAULT_ENV) or None
    if fault not in (None, "no-interceptor"):
        print(f"fastjwt demo: unknown {FAULT_ENV} {fault!r} (known: no-interceptor)", file=sys.stderr)
        raise SystemExit(2)
    return fault


@dataclass
class _Stopper:
    """SIGINT/SIGTERM: set an event (serving) or raise KeyboardInterrupt (walkthrough)."""

    event: threading.Event = field(default_factory=threading.Event)
    serving: bool = False

    def __call__(self, signum: int, frame: Any) -> None:
        self.event.set()
        if not self.serving:
            raise KeyboardInterrupt


@contextlib.contextmanager
def _signals(stopper: _Stopper) -> Iterator[None]:
    """Route SIGINT and SIGTERM to ``stopper`` (only the main thread can)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, stopper) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _stream(given: Optional[TextIO], default: Optional[TextIO], name: str) -> TextIO:
    """``given``, else ``default``: sys.stdout and sys.stderr are None under pythonw or once closed."""
    stream = given or default
    if stream is None:
        raise RuntimeError(f"fastjwt demo: no {name} to write to")
    return stream


def run_demo(*, duration: float = 3.0, color: Optional[bool] = None, as_json: bool = False, serve: bool = False,
             out: Optional[TextIO] = None, err: Optional[TextIO] = None) -> int:
    """Run the demo (or serve with ``serve=True``); returns the exit status."""
    out = _stream(out, sys.stdout, "stdout")
    err = _stream(err, sys.stderr, "stderr")
    # The step log goes to stdout, unless stdout is for JSON (--json, --serve).
    log_stream = err if (as_json or serve) else out
    use_color = log_stream.isatty() and "NO_COLOR" not in os.environ if color is None else color
    log = Log(log_stream, use_color)
    fault = _fault()
    stopper = _Stopper(serving=serve)
    handler = _LogHandler(log)
    demo_logger = logging.getLogger("fastjwt")
    demo_logger.addHandler(handler)
    services = Services(protect=fault != "no-interceptor")
    try:
        with _signals(stopper):
            log.line(log.paint("fastjwt demo", "bold") + log.paint(" — gRPC + JWT on 127.0.0.1, TLS, "
                                                                    "keys and certificates generated now", "dim"))
            services.start()
            if serve:
                return _serve(services, log, out, stopper)
            walkthrough = Walkthrough(services, log, duration)
            results = walkthrough.run()
    except KeyboardInterrupt:
        log.line(log.paint("interrupted", "yellow"))
        return 130
    except BrokenPipeError:
        # The reader went away (`fastjwt demo | head`): stop quietly, and keep the
        # interpreter's final flush from failing on the closed pipe too.
        if log_stream is sys.stdout or out is sys.stdout:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    finally:
        services.close()
        demo_logger.removeHandler(handler)
    failed = [r.name for r in results if not r.ok]
    if as_json:
        out.write(json.dumps({"ok": not failed, "steps": [asdict(r) for r in results], "load": walkthrough.load,
                              "failed": failed}, indent=2) + "\n")
        out.flush()
    if failed:
        log.line(log.paint(f"FAILED: {len(failed)} of {len(results)} steps: " + ", ".join(failed), "red"))
        if log_stream is not err:
            err.write("fastjwt demo: failed steps: " + ", ".join(failed) + "\n")
        return 1
    log.line(log.paint(f"all {len(results)} steps behaved as expected", "green"))
    return 0


def _serve(services: Services, log: Log, out: TextIO, stopper: _Stopper) -> int:
    out.write(json.dumps(services.describe()) + "\n")
    out.flush()
    ca = services.paths["ca.pem"]
    log.line(f"token service  127.0.0.1:{services.token_port} (TLS; CA {ca})")
    log.line(f"resource       127.0.0.1:{services.resource_port} (TLS; health and reflection public)")
    log.line(f"JWKS           {services.jwks_server.url}")
    log.line("try it with grpcurl (both services have reflection):")
    login = json.dumps({"client": {"client_id": services.client_id, "client_secret": services.client_secret}})
    log.line(f"  grpcurl -cacert {ca} -d '{login}' 127.0.0.1:{services.token_port} "
             "fastjwt.demo.v1.TokenService/Login")
    log.line(f"  grpcurl -cacert {ca} -H 'authorization: Bearer ACCESS_TOKEN' -d '{{\"id\": \"1\"}}' "
             f"127.0.0.1:{services.resource_port} fastjwt.demo.v1.ResourceService/GetItem")
    log.line("serving until Ctrl-C (or SIGTERM); the temporary directory is removed at exit")
    while not stopper.event.wait(0.5):
        pass
    log.line("stopping")
    return 0
