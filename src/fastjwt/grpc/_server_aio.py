"""The ``grpc.aio`` server interceptor (exported as ``fastjwt.grpc.aio.AuthInterceptor``).

An aio server runs every interceptor on its event loop, so this interceptor
decides every call in ``intercept_service``: a cached token costs a lookup, a
new one is verified there (HMAC, RSA and ECDSA P-256 take 5 to 120 µs). The
claims are set in the call's context, which the server shares with async
handlers; a sync handler (run on the server's thread pool, without that
context) and certificate-bound tokens (the client certificate is only known
to the handler's context) get a thin wrapper.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any, AsyncIterator, Callable, Dict, Iterator, Optional

import grpc
import grpc.aio

from .. import get_unverified_header
from ..exceptions import InvalidTokenError, PyJWTError
from ..keys import KeyNotFoundError
from ..validator import _StaticKeys
from . import _hot
from ._context import CLAIMS, Served
from ._decision import ALLOWED, PUBLIC
from ._server import (
    _POLICY_REFUSALS,
    MISSING_TOKEN,
    Authorizer,
    Plan,
    Refusal,
    _clock,
    _Refused,
    behavior_of,
    refusal_for,
    with_behavior,
)

__all__ = ["AuthInterceptor"]


class AuthInterceptor(Authorizer, grpc.aio.ServerInterceptor):
    """Authenticates every call of a ``grpc.aio`` server with a bearer JWT.

    Same arguments and behaviour as :class:`fastjwt.grpc.AuthInterceptor`.
    With a validator on an :class:`fastjwt.AsyncJWKSClient`, a token whose
    ``kid`` is not in the current key set waits for the (throttled, shared)
    refetch before it is judged, so a rotation fails no call.
    """

    #: Compiled (fastjwt.grpc._hot): a valid cached token that the method's rule
    #: admits without looking further, for an async handler, is decided there;
    #: every other call goes to _intercept (before the cache lookup) or
    #: _looked_up (after it).
    intercept_service = _hot.aio_intercept_service

    async def _intercept(self, handler: grpc.RpcMethodHandler,
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
            return await self._looked_up(handler, method, plan, token, None, error, start)
        return await self._looked_up(handler, method, plan, token, claims, None, start)

    async def _looked_up(self, handler: grpc.RpcMethodHandler, method: str, plan: Plan, token: str,
                         claims: Optional[Dict[str, Any]], error: Optional[Exception],
                         start: float) -> grpc.RpcMethodHandler:
        """Decide a call once the cache has answered: ``claims`` (None: not
        cached, verified here), or ``error`` (what the lookup raised)."""
        cache_hit = True
        try:
            if error is not None:
                raise error
            if claims is None:
                cache_hit = False
                next(self._counters.cache_misses)
                claims = await self._verify(token)
        except PyJWTError as failure:
            if cache_hit:  # a token remembered as refused (a key source that fails closed is no hit)
                cache_hit = isinstance(failure, InvalidTokenError)
                if cache_hit:
                    next(self._counters.cache_hits)
            if plan.public:
                return self._public(handler, method, cache_hit, start)
            return self._reject(handler, method, refusal_for(failure), cache_hit, start)
        # Does the method's function run on the loop (async, sharing this context) or the thread pool?
        if plan.handler is handler:
            is_async = plan.on_loop
        else:
            is_async = self._is_async(handler, plan)
        if plan.plain:
            admitted = "cnf" not in claims
        else:  # the rule's verdict on these very claims, when it admitted them before
            admitted = plan.admitted.get(id(claims)) is claims
        if cache_hit:
            next(self._counters.cache_hits)
        if plan.check and not admitted:
            reason = self._policy.check(plan.rule, claims)
            if reason is not None:
                return self._reject(handler, method, _POLICY_REFUSALS[reason], cache_hit, start)
            if cache_hit and not plan.binding and "cnf" not in claims:
                self._remember(plan, claims)
        binding = plan.binding or "cnf" in claims
        if binding or not is_async:
            return self._wrap(handler, behavior_of(handler), method, plan, claims, cache_hit, start, binding)
        CLAIMS.set([claims] if cache_hit else claims)  # a hit's claims are shared: current_claims() copies
        if self._on_decision is None:
            next(self._counters.public if plan.public else self._counters.allowed)
        else:
            self._decide(method, PUBLIC if plan.public else ALLOWED, None, cache_hit, start)
        return handler

    @staticmethod
    def _is_async(handler: grpc.RpcMethodHandler, plan: Plan) -> bool:
        """Whether ``handler``'s function runs on the loop; noted in the method's plan."""
        behavior = behavior_of(handler)
        is_async = inspect.iscoroutinefunction(behavior) or inspect.isasyncgenfunction(behavior)
        # The loop's thread alone runs this: the two fields never disagree for a reader.
        plan.on_loop = is_async
        plan.handler = handler
        return is_async

    async def _verify(self, token: str) -> Dict[str, Any]:
        """Full verification; an unknown ``kid`` first awaits an async key source's
        refetch, or with a blocking key source (a sync ``JWKSClient``, a key
        directory) is verified on a worker thread: its refetch must not stop
        the event loop, which serves every other call meanwhile."""
        source = getattr(self._validator, "_source", None)
        if (source is not None and not isinstance(source, _StaticKeys)
                and getattr(source, "key_set_for_async", None) is None and self._kid_unknown(source, token)):
            return await asyncio.to_thread(self._validator.decode, token)
        try:
            return self._validator.decode(token)
        except KeyNotFoundError:
            refetch = getattr(getattr(self._validator, "_source", None), "key_set_for_async", None)
            kid = get_unverified_header(token).get("kid")
            if refetch is None or not isinstance(kid, str):
                raise
            await refetch(kid)
            return self._validator.decode(token)

    @staticmethod
    def _kid_unknown(source: Any, token: str) -> bool:
        # Only then may the source fetch; a malformed token is judged (and
        # refused) by the Validator on the loop, as any other.
        try:
            kid = get_unverified_header(token).get("kid")
        except InvalidTokenError:
            return False
        return isinstance(kid, str) and not source.key_set().has_kid(kid)

    # ------------------------------------------------------------ outcomes

    @staticmethod
    def _aborter(code: grpc.StatusCode, message: str) -> Callable[[Any, Any], Any]:
        # A coroutine function suits all four kinds (streaming responses use the reader/writer API).
        async def abort(request: Any, context: grpc.aio.ServicerContext) -> None:
            await context.abort(code, message)

        return abort

    def _wrap(self, handler: grpc.RpcMethodHandler, behavior: Callable[..., Any], method: str, plan: Plan,
              claims: Dict[str, Any], cache_hit: bool, start: float, binding: bool) -> grpc.RpcMethodHandler:
        """The handler's function behind the certificate check (if ``binding``)
        and with the claims set where it runs (the loop or a pool thread)."""
        if not binding:  # decided already; only the thread pool needs the claims carried over
            self._decide(method, PUBLIC if plan.public else ALLOWED, None, cache_hit, start)
        # The latency counts the work here and in the handler's context, not the wait in between.
        spent = _clock() - start

        def admitted(context: Any) -> Served:
            """The claims to serve with (None: a public method, binding failed); raises _Refused."""
            if not binding:
                return [claims] if cache_hit else claims  # a hit's claims are shared
            refusal = self._binding_refusal(claims, context.auth_context(), plan.binding)
            return self._settle(method, plan, claims, refusal, cache_hit, _clock() - spent)

        run: Callable[..., Any]
        if inspect.iscoroutinefunction(behavior):
            async def run_coroutine(request: Any, context: grpc.aio.ServicerContext) -> Any:
                try:
                    CLAIMS.set(admitted(context))
                except _Refused as refused:
                    await context.abort(refused.refusal.code, self.message(refused.refusal))
                return await behavior(request, context)

            run = run_coroutine
        elif inspect.isasyncgenfunction(behavior):
            async def run_async_generator(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
                try:
                    CLAIMS.set(admitted(context))
                except _Refused as refused:
                    await context.abort(refused.refusal.code, self.message(refused.refusal))
                async for response in behavior(request, context):
                    yield response

            run = run_async_generator
        elif not handler.response_streaming:  # a sync function, run on the server's thread pool
            def run_on_pool(request: Any, context: Any) -> Any:
                token = CLAIMS.set(_admitted_or_abort(admitted, context, self.message))
                try:
                    return behavior(request, context)
                finally:
                    CLAIMS.reset(token)

            run = run_on_pool
        else:
            # The server calls a sync streaming function on the loop and advances
            # what it returns on the pool: as a generator, the check (which may
            # block on abort) and every step run on the pool.
            def run_stream_on_pool(request: Any, context: Any) -> Iterator[Any]:
                served = _admitted_or_abort(admitted, context, self.message)
                token = CLAIMS.set(served)
                try:
                    responses = behavior(request, context)
                finally:
                    CLAIMS.reset(token)
                yield from _with_claims(served, responses)

            run = run_stream_on_pool
        return with_behavior(handler, run)


def _admitted_or_abort(admitted: Callable[[Any], Served], context: Any,
                       message: Callable[[Refusal], str]) -> Served:
    """On a pool thread: the claims to serve with, or the call aborted (a sync context's abort raises)."""
    try:
        return admitted(context)
    except _Refused as refused:
        context.abort(refused.refusal.code, message(refused.refusal))
        raise  # not reached: abort raises


def _with_claims(claims: Served, responses: Any) -> Iterator[Any]:
    """A sync response iterator whose every step sees ``claims``: the server
    advances it from whichever pool thread is free."""
    iterator = iter(responses)
    while True:
        token = CLAIMS.set(claims)
        try:
            response = next(iterator)
        except StopIteration:
            return
        finally:
            CLAIMS.reset(token)
        yield response
