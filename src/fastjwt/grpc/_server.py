"""The sync server interceptor, and the parts the aio one shares.

grpcio's sync server calls ``intercept_service`` on its polling thread, under
the server's lock: whatever it does there delays the dispatch of every other
call. So the polling thread does only what costs about a microsecond: read
the metadata, ask the Validator's cache, apply the method's (precomputed)
rule, set the claims. A token the cache does not know is verified inside the
returned handler, on a worker thread. Refused calls get a handler of the same
kind as the method's that ends the call with the status: the application's
handler never runs.
"""

from __future__ import annotations

import hmac
import itertools
import logging
import time
from typing import Any, Callable, Dict, Mapping, NamedTuple, Optional, Tuple, Union, cast

import grpc

from .._pki import cert_thumbprint_s256
from ..exceptions import (
    DecodeError,
    ExpiredSignatureError,
    ImmatureSignatureError,
    InvalidAlgorithmError,
    InvalidAudienceError,
    InvalidIssuedAtError,
    InvalidIssuerError,
    InvalidJTIError,
    InvalidSignatureError,
    InvalidSubjectError,
    InvalidTokenError,
    InvalidTokenTypeError,
    MissingRequiredClaimError,
    PyJWKClientError,
    PyJWTError,
)
from ..keys import KeyNotFoundError
from ..validator import Validator
from . import _hot
from ._context import CLAIMS, Served
from ._decision import ALLOWED, PERMISSION_DENIED, PUBLIC, UNAUTHENTICATED, Counters, Decision
from ._hot import Hot, Plan
from .policy import _PUBLIC, MISSING_ROLE, MISSING_SCOPE, Policy, Rule

__all__ = ["AuthInterceptor", "Plan"]

#: The status message of every refusal when reasons are hidden.
HIDDEN_REASON = "access denied"

_clock = time.perf_counter
#: ``CLAIMS.set``, bound once (``CLAIMS.set(...)`` binds a method object per call).
set_claims = CLAIMS.set
_log = logging.getLogger("fastjwt.grpc")


class Refusal(NamedTuple):
    """Why a call is refused: its status code, outcome and short reason."""

    code: grpc.StatusCode
    outcome: str
    reason: str


def _unauthenticated(reason: str) -> Refusal:
    return Refusal(grpc.StatusCode.UNAUTHENTICATED, UNAUTHENTICATED, reason)


MISSING_TOKEN = _unauthenticated("missing token")
MALFORMED_HEADER = _unauthenticated("malformed authorization header")
WRONG_SCHEME = _unauthenticated("unsupported authorization scheme")
TWO_HEADERS = _unauthenticated("more than one authorization value")
NO_CLIENT_CERT = _unauthenticated("client certificate required")
CERT_MISMATCH = _unauthenticated("certificate mismatch")
NOT_BOUND = _unauthenticated("token not bound to a certificate")
KEYS_UNAVAILABLE = Refusal(grpc.StatusCode.UNAVAILABLE, UNAUTHENTICATED, "signing keys unavailable")
_POLICY_REFUSALS = {
    MISSING_SCOPE: Refusal(grpc.StatusCode.PERMISSION_DENIED, PERMISSION_DENIED, MISSING_SCOPE),
    MISSING_ROLE: Refusal(grpc.StatusCode.PERMISSION_DENIED, PERMISSION_DENIED, MISSING_ROLE),
}

#: fastjwt's errors and their short reasons, most specific first. A reason
#: never carries the exception's message (which may quote claims).
_ERROR_REASONS: Tuple[Tuple[type, Refusal], ...] = (
    (ExpiredSignatureError, _unauthenticated("expired")),
    (InvalidSignatureError, _unauthenticated("bad signature")),
    (InvalidAudienceError, _unauthenticated("wrong audience")),
    (InvalidIssuerError, _unauthenticated("wrong issuer")),
    (ImmatureSignatureError, _unauthenticated("not yet valid")),
    (InvalidIssuedAtError, _unauthenticated("bad issued-at time")),
    (InvalidAlgorithmError, _unauthenticated("algorithm not allowed")),
    (MissingRequiredClaimError, _unauthenticated("missing required claim")),
    (InvalidSubjectError, _unauthenticated("wrong subject")),
    (InvalidJTIError, _unauthenticated("bad token id")),
    (InvalidTokenTypeError, _unauthenticated("wrong token type")),
    (KeyNotFoundError, _unauthenticated("unknown signing key")),
    (DecodeError, _unauthenticated("malformed token")),
    (InvalidTokenError, _unauthenticated("invalid token")),
    (PyJWKClientError, KEYS_UNAVAILABLE),
    (PyJWTError, _unauthenticated("invalid token")),
)
_refusals_by_type: Dict[type, Refusal] = {}


def refusal_for(error: BaseException) -> Refusal:
    """The refusal for a fastjwt error (by class, remembered per class)."""
    kind = type(error)
    refusal = _refusals_by_type.get(kind)
    if refusal is None:
        refusal = next(r for cls, r in _ERROR_REASONS if isinstance(error, cls))
        _refusals_by_type[kind] = refusal
    return refusal


_MAX_PLANS = 4096
_MAX_THUMBPRINTS = 256
#: Claims remembered as admitted, per rule (then the memo starts over).
_MAX_ADMITTED = 1024


def bearer_token(header: Any) -> Union[str, Refusal, None]:
    """The token of an authorization value (``header``: None when the call
    has none, TWO_HEADERS when it has several), a Refusal, or None.

    The scheme is case-insensitive; RFC 6750 allows several spaces after it.
    (The interceptors try the usual ``"Bearer <token>"`` inline first.)
    """
    if header is None or type(header) is Refusal:
        return header
    if type(header) is not str:
        return MALFORMED_HEADER
    scheme, space, token = header.partition(" ")
    if not space:
        return MALFORMED_HEADER
    if scheme.lower() != "bearer":
        return WRONG_SCHEME
    if token[:1] == " ":
        token = token.lstrip(" ")
    # A space inside or after the token is left to the Validator: such a
    # token is never cached, and verifying it fails as a malformed token.
    return token if token else MALFORMED_HEADER


def cached_lookup(validator: Validator) -> Callable[[str], Optional[Dict[str, Any]]]:
    """``validator.try_decode_cached``, as the compiled call itself when the
    class does not override it (as Validator binds ``decode``): a Python
    frame less per call."""
    pipeline = getattr(validator, "_pipeline", None)
    if type(validator).try_decode_cached is Validator.try_decode_cached and pipeline is not None:
        # The cache's own claims, read only here; current_claims() copies them for the handler.
        if type(validator)._cached_shared is Validator._cached_shared:
            return pipeline.cached_shared  # type: ignore[no-any-return]
        return validator._cached_shared
    return validator.try_decode_cached


def method_handler(handler: grpc.RpcMethodHandler, behavior: Callable[..., Any],
                   request_deserializer: Any = None, response_serializer: Any = None) -> grpc.RpcMethodHandler:
    """A handler of ``handler``'s kind (cardinality) running ``behavior``."""
    if handler.request_streaming:
        if handler.response_streaming:
            return grpc.stream_stream_rpc_method_handler(behavior, request_deserializer, response_serializer)
        return grpc.stream_unary_rpc_method_handler(behavior, request_deserializer, response_serializer)
    if handler.response_streaming:
        return grpc.unary_stream_rpc_method_handler(behavior, request_deserializer, response_serializer)
    return grpc.unary_unary_rpc_method_handler(behavior, request_deserializer, response_serializer)


def _field(handler: grpc.RpcMethodHandler) -> str:
    """The name of the handler's attribute that holds its function."""
    if handler.request_streaming:
        return "stream_stream" if handler.response_streaming else "stream_unary"
    return "unary_stream" if handler.response_streaming else "unary_unary"


def behavior_of(handler: grpc.RpcMethodHandler) -> Callable[..., Any]:
    """The application function a handler runs."""
    if handler.request_streaming:  # not getattr(handler, _field(handler)): the aio hot path calls this
        behavior = handler.stream_stream if handler.response_streaming else handler.stream_unary
    else:
        behavior = handler.unary_stream if handler.response_streaming else handler.unary_unary
    # A handler of this kind always has its function (the field may be None only for other kinds).
    return cast(Callable[..., Any], behavior)


def with_behavior(handler: grpc.RpcMethodHandler, behavior: Callable[..., Any]) -> grpc.RpcMethodHandler:
    """``handler`` running ``behavior`` in place of its function, all else kept:
    the (de)serializers, and grpcio's ``experimental_thread_pool`` attribute of
    the function (the sync server runs the method on that pool)."""
    pool = getattr(behavior_of(handler), "experimental_thread_pool", None)
    if pool is not None:
        behavior.experimental_thread_pool = pool  # type: ignore[attr-defined]
    replace = getattr(handler, "_replace", None)  # grpcio's handlers are namedtuples
    if replace is not None:
        replaced: grpc.RpcMethodHandler = replace(**{_field(handler): behavior})
        return replaced
    return method_handler(handler, behavior, handler.request_deserializer, handler.response_serializer)


class Authorizer:
    """What the sync and aio interceptors share: construction, rules, token
    parsing, policy and certificate checks, counters and decisions."""

    def __init__(
        self,
        validator: Validator,
        policy: Union[Policy, Mapping[str, Any], None] = None,
        *,
        roles_claim: str = "roles",
        metadata_key: str = "authorization",
        hide_reasons: bool = False,
        on_decision: Optional[Callable[[Decision], Any]] = None,
        public_health: bool = True,
    ) -> None:
        if not isinstance(validator, Validator):
            raise TypeError("validator must be a fastjwt.Validator")
        if policy is None:
            policy = Policy(roles_claim=roles_claim)
        elif isinstance(policy, Policy):
            if roles_claim != "roles" and roles_claim != policy.roles_claim:
                policy = policy.with_roles_claim(roles_claim)
        elif isinstance(policy, Mapping):
            policy = Policy(policy, roles_claim=roles_claim)
        else:
            raise TypeError("policy must be a fastjwt.grpc.Policy or a mapping of method patterns to rules")
        if not isinstance(metadata_key, str) or not metadata_key or metadata_key.endswith("-bin"):
            raise ValueError("metadata_key must be a non-empty ASCII metadata key (not a -bin key)")
        self._validator = validator
        self._cached = cached_lookup(validator)
        self._policy = policy
        self._key = metadata_key.lower()  # gRPC metadata keys arrive lowercased
        self._hide = bool(hide_reasons)
        self._on_decision = on_decision
        self._public_health = bool(public_health)
        self._plans: Dict[str, Plan] = {}
        self._admitted: Dict[Rule, Dict[int, Dict[str, Any]]] = {}
        self._counters = Counters()
        self._thumbprints: Dict[bytes, str] = {}
        self._rejectors: Dict[Tuple[bool, bool, Refusal], grpc.RpcMethodHandler] = {}
        self._callback_errors = itertools.count()
        # What the sync interceptor's compiled hot path reads (fastjwt.grpc._hot).
        self._hot = Hot(self._plans, self._key, self._cached, CLAIMS, on_decision is None)

    @property
    def policy(self) -> Policy:
        """The policy in force."""
        return self._policy

    def stats(self) -> Dict[str, int]:
        """Calls by outcome (allowed, public, unauthenticated,
        permission_denied) and tokens answered from the cache or verified
        (cache_hits, cache_misses)."""
        return self._counters.snapshot()

    # ------------------------------------------------------------ the pieces

    def _read_call(self, details: grpc.HandlerCallDetails) -> Tuple[str, Plan, Union[str, Refusal, None]]:
        """The call's method, its plan, and :func:`bearer_token` of its one
        authorization value (TWO_HEADERS when it has several)."""
        method: str = details.method
        plan = self._plans.get(method) or self._plan_for(method)
        header: Any = None
        wanted = self._key
        for datum in details.invocation_metadata or ():
            if datum[0] == wanted:
                if header is not None:
                    header = TWO_HEADERS
                    break
                header = datum[1]
        return method, plan, bearer_token(header)

    def _plan_for(self, method: str) -> Plan:
        rule = self._policy.rule_for(method)
        if rule is _PUBLIC and not self._public_health:
            rule = self._policy.rules.get("*", Rule())
        # Rules come from the policy (method names do not make new ones): the memos are few.
        admitted = self._admitted.setdefault(rule, {}) if rule.needs_claims and not rule.require_cert_binding else None
        plan = Plan(rule, self._counters, admitted)
        if len(self._plans) < _MAX_PLANS:  # method names come from callers: bounded
            self._plans[method] = plan
        return plan

    @staticmethod
    def _remember(plan: Plan, claims: Dict[str, Any]) -> None:
        """Note that ``plan``'s rule admits the cached ``claims`` (no binding to check)."""
        admitted = plan.admitted
        if len(admitted) >= _MAX_ADMITTED:
            admitted.clear()
        admitted[id(claims)] = claims

    def _policy_refusal(self, plan: Plan, claims: Dict[str, Any]) -> Optional[Refusal]:
        reason = self._policy.check(plan.rule, claims)
        return None if reason is None else _POLICY_REFUSALS[reason]

    def _binding_refusal(self, claims: Dict[str, Any], auth_context: Mapping[str, Any],
                         required: bool) -> Optional[Refusal]:
        """RFC 8705: a token with ``cnf.x5t#S256`` must come with that client
        certificate; ``required`` refuses tokens without the binding too."""
        cnf = claims.get("cnf")
        bound = cnf.get("x5t#S256") if isinstance(cnf, dict) else None
        if bound is None:
            return NOT_BOUND if required else None
        certs = auth_context.get("x509_pem_cert") if auth_context else None
        if not certs:
            return NO_CLIENT_CERT
        thumbprint = self._thumbprint(certs[0])
        if not isinstance(bound, str) or not hmac.compare_digest(thumbprint.encode(), bound.encode("utf-8", "replace")):
            return CERT_MISMATCH
        return None

    def _thumbprint(self, pem: bytes) -> str:
        # A peer sends the same certificate on every call: parse it once.
        thumbprint = self._thumbprints.get(pem)
        if thumbprint is None:
            thumbprint = cert_thumbprint_s256(pem)
            if len(self._thumbprints) >= _MAX_THUMBPRINTS:
                self._thumbprints.clear()
            self._thumbprints[pem] = thumbprint
        return thumbprint

    def message(self, refusal: Refusal) -> str:
        """The status message of a refusal."""
        return HIDDEN_REASON if self._hide else refusal.reason

    def _decide(self, method: str, outcome: str, reason: Optional[str], cache_hit: bool, start: float) -> None:
        """Count the call and tell ``on_decision`` (once per call)."""
        next(getattr(self._counters, outcome))
        on_decision = self._on_decision
        if on_decision is not None:
            try:
                on_decision(Decision(method, outcome, reason, cache_hit, _clock() - start))
            except Exception as error:  # the callback's failure must not change the call's outcome
                if next(self._callback_errors) == 0:  # atomic: logged once per interceptor
                    # The callback only ever sees a Decision: no token or claims can be in this record.
                    _log.error("on_decision callback raised %s; the decision stands (further failures "
                               "of this callback are not logged)", type(error).__name__, exc_info=error)

    # ------------------------------------------------------------ outcomes

    def _public(self, handler: grpc.RpcMethodHandler, method: str, cache_hit: bool,
                start: float) -> grpc.RpcMethodHandler:
        """A public method without a usable token: served, without claims."""
        CLAIMS.set(None)
        self._decide(method, PUBLIC, None, cache_hit, start)
        return handler

    def _reject(self, handler: grpc.RpcMethodHandler, method: str, refusal: Refusal, cache_hit: bool,
                start: float) -> grpc.RpcMethodHandler:
        """A handler of the method's kind that only ends the call (one per kind and refusal)."""
        self._decide(method, refusal.outcome, refusal.reason, cache_hit, start)
        key = (handler.request_streaming, handler.response_streaming, refusal)
        rejector = self._rejectors.get(key)
        if rejector is None:
            # No deserializer: a refused request is never parsed.
            rejector = method_handler(handler, self._aborter(refusal.code, self.message(refusal)))
            self._rejectors[key] = rejector
        return rejector

    @staticmethod
    def _aborter(code: grpc.StatusCode, message: str) -> Callable[[Any, Any], Any]:
        """A method function that ends the call with ``code`` and ``message``."""
        raise NotImplementedError

    def _settle(self, method: str, plan: Plan, claims: Optional[Dict[str, Any]], refusal: Optional[Refusal],
                cache_hit: bool, start: float) -> Served:
        """Decide a call in its handler's context: the claims to serve with
        (None: a public method served without them), or _Refused."""
        if refusal is None:
            self._decide(method, PUBLIC if plan.public else ALLOWED, None, cache_hit, start)
            return [claims] if cache_hit and claims is not None else claims  # a hit's claims are shared
        if plan.public:  # a public method ignores a token it cannot accept
            self._decide(method, PUBLIC, None, cache_hit, start)
            return None
        self._decide(method, refusal.outcome, refusal.reason, cache_hit, start)
        raise _Refused(refusal)


class _Refused(Exception):
    """A refusal found in the handler's context, carried to the code that can abort there."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.reason)
        self.refusal = refusal



class AuthInterceptor(Authorizer, grpc.ServerInterceptor):
    """Authenticates every call of a sync ``grpc.server`` with a bearer JWT.

    Args:
        validator: the :class:`fastjwt.Validator` that checks tokens.
        policy: a :class:`fastjwt.grpc.Policy`, or a mapping from method
            patterns to rules (see :class:`Policy`); None: every method needs
            a valid token, health and reflection are public.
        roles_claim: claim name or dotted path holding roles (for a mapping
            policy, or to override a Policy's).
        metadata_key: the metadata key carrying ``Bearer <token>``.
        hide_reasons: send one fixed status message instead of the reason.
        on_decision: called with a :class:`Decision` once per call (keep it
            fast: on cache hits it runs on the server's polling thread). An
            exception it raises is logged once (logger ``fastjwt.grpc``) and
            changes nothing: the call is decided as if it had returned.
        public_health: health checking and reflection are public unless the
            policy names them (False: they follow ``"*"`` like any method).

    Missing, malformed or invalid tokens end the call with UNAUTHENTICATED,
    valid tokens that do not meet the rule with PERMISSION_DENIED, before the
    handler runs. Inside the handler, ``fastjwt.grpc.current_claims()`` gives
    the verified claims.
    """

    #: Compiled (fastjwt.grpc._hot): a valid cached token that the method's rule
    #: admits without looking further is decided there; every other call goes
    #: to _intercept (before the cache lookup) or _looked_up (after it).
    intercept_service = _hot.intercept_service

    def _intercept(self, handler: grpc.RpcMethodHandler,
                   handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler:
        """Decide a call the compiled path did not (``handler``: the method's, found)."""
        start = 0.0 if self._on_decision is None else _clock()
        method, plan, token = self._read_call(handler_call_details)
        if type(token) is not str:
            if plan.public:
                return self._public(handler, method, False, start)
            return self._reject(handler, method, token or MISSING_TOKEN, False, start)  # type: ignore[arg-type]
        try:
            claims = self._cached(token)
        except Exception as error:
            return self._looked_up(handler, method, plan, token, None, error, start)
        return self._looked_up(handler, method, plan, token, claims, None, start)

    def _looked_up(self, handler: grpc.RpcMethodHandler, method: str, plan: Plan, token: str,
                   claims: Optional[Dict[str, Any]], error: Optional[Exception], start: float) -> grpc.RpcMethodHandler:
        """Decide a call once the cache has answered: ``claims`` (None: not
        cached), or ``error`` (what the lookup raised)."""
        if error is not None:
            if not isinstance(error, PyJWTError):
                raise error
            # A token remembered as refused (a key source that fails closed is no hit).
            cache_hit = isinstance(error, InvalidTokenError)
            if cache_hit:
                next(self._counters.cache_hits)
            if plan.public:
                return self._public(handler, method, cache_hit, start)
            return self._reject(handler, method, refusal_for(error), cache_hit, start)
        if claims is None:  # not cached: verify on the worker thread
            return with_behavior(handler, self._verifying(behavior_of(handler), method, plan, token))
        next(self._counters.cache_hits)
        admitted = "cnf" not in claims if plan.plain else plan.admitted.get(id(claims)) is claims
        if not admitted and plan.check:
            reason = self._policy.check(plan.rule, claims)
            if reason is not None:
                return self._reject(handler, method, _POLICY_REFUSALS[reason], True, start)
        if plan.binding or "cnf" in claims:  # the certificate is only known to the handler's context
            return with_behavior(handler, self._binding(behavior_of(handler), method, plan, claims, start))
        if plan.check and not admitted:
            self._remember(plan, claims)
        CLAIMS.set([claims])  # shared: current_claims() copies
        if self._on_decision is None:
            next(self._counters.public if plan.public else self._counters.allowed)
        else:
            self._decide(method, PUBLIC if plan.public else ALLOWED, None, True, start)
        return handler

    # ------------------------------------------------------------ outcomes

    @staticmethod
    def _aborter(code: grpc.StatusCode, message: str) -> Callable[[Any, Any], Any]:
        def abort(request: Any, context: grpc.ServicerContext) -> Any:
            context.abort(code, message)

        return abort

    def _verifying(self, behavior: Callable[..., Any], method: str, plan: Plan, token: str) -> Callable[..., Any]:
        """The handler's function behind a full verification (worker thread)."""

        def verify_then_run(request: Any, context: grpc.ServicerContext) -> Any:
            start = _clock() if self._on_decision is not None else 0.0
            next(self._counters.cache_misses)
            try:
                claims = self._validator.decode(token)
            except PyJWTError as error:
                return self._serve(behavior, request, context, method, plan, None, refusal_for(error), False, start)
            return self._admit(behavior, request, context, method, plan, claims, False, start)

        return verify_then_run

    def _binding(self, behavior: Callable[..., Any], method: str, plan: Plan, claims: Dict[str, Any],
                 start: float) -> Callable[..., Any]:
        """The handler's function behind the certificate-binding check."""
        # The latency counts the polling thread's part and the worker's, not the wait in between.
        spent = _clock() - start

        def check_then_run(request: Any, context: grpc.ServicerContext) -> Any:
            return self._admit(behavior, request, context, method, plan, claims, True, _clock() - spent,
                               policy_checked=True)

        return check_then_run

    def _admit(self, behavior: Callable[..., Any], request: Any, context: grpc.ServicerContext, method: str,
               plan: Plan, claims: Dict[str, Any], cache_hit: bool, start: float,
               policy_checked: bool = False) -> Any:
        """Policy and certificate checks in the handler's context, then the handler."""
        refusal = None if policy_checked or not plan.check else self._policy_refusal(plan, claims)
        if refusal is None and (plan.binding or "cnf" in claims):
            refusal = self._binding_refusal(claims, context.auth_context(), plan.binding)
        return self._serve(behavior, request, context, method, plan, claims, refusal, cache_hit, start)

    def _serve(self, behavior: Callable[..., Any], request: Any, context: grpc.ServicerContext, method: str,
               plan: Plan, claims: Optional[Dict[str, Any]], refusal: Optional[Refusal], cache_hit: bool,
               start: float) -> Any:
        """The decision made in the handler's context: run the handler, or end the call."""
        try:
            CLAIMS.set(self._settle(method, plan, claims, refusal, cache_hit, start))
        except _Refused as refused:
            context.abort(refused.refusal.code, self.message(refused.refusal))  # raises
        return behavior(request, context)
