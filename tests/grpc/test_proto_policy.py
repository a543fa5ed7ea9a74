"""policy_from_services: rules read from fastjwt.auth.v1 options equal the same rules written as a mapping."""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

import grpc
import pytest
from fastjwt_test.v1 import echo_pb2, echo_pb2_grpc
from google.protobuf import descriptor_pb2, descriptor_pool
from google.protobuf.descriptor import ServiceDescriptor
from grpc_support import TIMEOUT, bearer, mint, sync_server, validator

from fastjwt.auth.v1 import options_pb2
from fastjwt.grpc import AuthInterceptor, current_claims
from fastjwt.grpc.policy import Policy, Rule
from fastjwt.grpc.proto_policy import policy_from_services

# echo_pb2 is generated from tests/protos/fastjwt_test/v1/echo.proto by scripts/gen_protos.py.
ECHO, ADMIN = "/fastjwt_test.v1.Echo", "/fastjwt_test.v1.Admin"

#: tests/protos/fastjwt_test/v1/echo.proto's options, written as a mapping.
MAPPING: Dict[str, Any] = {
    f"{ECHO}/*": {"scopes": ["echo:read"]},
    f"{ECHO}/ServerStream": {"scopes": ["echo:read", "echo:stream"], "any_roles": ["streamer", "admin"]},
    f"{ECHO}/ClientStream": {"roles": ["uploader"], "any_scopes": ["echo:write", "echo:admin"],
                             "require_cert_binding": True},
    f"{ECHO}/BidiStream": {"public": True},
    f"{ECHO}/Status": {},
    f"{ADMIN}/Purge": {"roles": ["admin", "operator"]},
}

#: Every declared method, plus methods no rule names.
METHODS = [
    f"{ECHO}/Unary", f"{ECHO}/ServerStream", f"{ECHO}/ClientStream", f"{ECHO}/BidiStream", f"{ECHO}/Status",
    f"{ECHO}/NotDeclared", f"{ADMIN}/Purge", f"{ADMIN}/Ping", "/other.v1.Svc/Call",
    "/grpc.health.v1.Health/Check", "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
]

CLAIMS: List[Dict[str, Any]] = [
    {"sub": "nobody"},
    {"sub": "reader", "scope": "echo:read"},
    {"sub": "streamer", "scope": "echo:read echo:stream", "roles": ["streamer"]},
    {"sub": "uploader", "scp": ["echo:admin"], "roles": ["uploader"]},
    {"sub": "admin", "scope": "echo:read echo:stream echo:write", "roles": ["admin", "operator", "uploader"]},
]


def test_echo_proto_declares_all_four_rpc_kinds() -> None:
    echo = echo_pb2.DESCRIPTOR.services_by_name["Echo"]
    methods = {m.name: (m.client_streaming, m.server_streaming) for m in echo.methods}
    assert methods == {"Unary": (False, False), "ServerStream": (False, True), "ClientStream": (True, False),
                       "BidiStream": (True, True), "Status": (False, False)}


def test_rules_from_options_are_exact() -> None:
    policy = policy_from_services(echo_pb2)
    assert policy.rule_for(f"{ECHO}/Unary") == Rule(scopes=("echo:read",))
    assert policy.rule_for(f"{ECHO}/ServerStream") == Rule(scopes=("echo:read", "echo:stream"),
                                                           any_roles=("streamer", "admin"))
    assert policy.rule_for(f"{ECHO}/ClientStream") == Rule(roles=("uploader",), any_scopes=("echo:write", "echo:admin"),
                                                           require_cert_binding=True)
    assert policy.rule_for(f"{ECHO}/BidiStream") == Rule(public=True)
    # An empty method_rule overrides the service rule: a valid token and nothing more.
    assert policy.rule_for(f"{ECHO}/Status") == Rule()
    assert policy.rule_for(f"{ECHO}/NotDeclared") == Rule(scopes=("echo:read",))
    assert policy.rule_for(f"{ADMIN}/Purge") == Rule(roles=("admin", "operator"))
    assert policy.rule_for(f"{ADMIN}/Ping") == Rule()


@pytest.mark.parametrize("source", ["module", "file", "services"])
def test_same_rules_and_decisions_as_the_mapping(source: str) -> None:
    services = list(echo_pb2.DESCRIPTOR.services_by_name.values())
    args = {"module": [echo_pb2], "file": [echo_pb2.DESCRIPTOR], "services": services}[source]
    from_proto = policy_from_services(*args)
    from_mapping = Policy(MAPPING)
    assert from_proto == from_mapping
    for method in METHODS:
        rule = from_mapping.rule_for(method)
        assert from_proto.rule_for(method) == rule, method
        for claims in CLAIMS:
            assert from_proto.check(rule, claims) == from_mapping.check(rule, claims), (method, claims)
    # The decisions differ between methods (the comparison above is not vacuous).
    def decisions(claims: Dict[str, Any], *names: str) -> List[Any]:
        return [from_proto.check(from_proto.rule_for(f"{ECHO}/{name}"), claims) for name in names]

    assert decisions(CLAIMS[3], "Unary", "ClientStream", "Status") == ["missing scope", None, None]
    assert decisions({"scope": "echo:read echo:stream"}, "Unary", "ServerStream") == [None, "missing role"]


def test_roles_claim_is_passed_to_the_policy() -> None:
    policy = policy_from_services(echo_pb2, roles_claim="realm_access.roles")
    purge = policy.rule_for(f"{ADMIN}/Purge")
    assert policy.check(purge, {"realm_access": {"roles": ["admin", "operator"]}}) is None
    assert policy.check(purge, {"roles": ["admin", "operator"]}) == "missing role"


def test_one_service_alone() -> None:
    policy = policy_from_services(echo_pb2.DESCRIPTOR.services_by_name["Admin"])
    assert policy.rule_for(f"{ADMIN}/Purge") == Rule(roles=("admin", "operator"))
    assert policy.rule_for(f"{ECHO}/Unary") == Rule()


def test_the_same_service_twice_is_harmless() -> None:
    assert policy_from_services(echo_pb2, echo_pb2).rule_for(f"{ECHO}/Unary") == Rule(scopes=("echo:read",))


# Services built at test time in their own descriptor pool, with options the .proto files could carry.

_counter = iter(range(10**6))


def _service(service_rule: Dict[str, Any] | None = None, method_rule: Dict[str, Any] | None = None,
             name: str = "S") -> ServiceDescriptor:
    pool = descriptor_pool.DescriptorPool()
    for module in (descriptor_pb2, options_pb2):
        dependency = descriptor_pb2.FileDescriptorProto()
        module.DESCRIPTOR.CopyToProto(dependency)
        pool.Add(dependency)
    file = descriptor_pb2.FileDescriptorProto(name=f"bad/v1/f{next(_counter)}.proto", package="bad.v1",
                                              dependency=["fastjwt/auth/v1/options.proto"], syntax="proto3")
    file.message_type.add(name="M")
    service = file.service.add(name=name)
    method = service.method.add(name="Call", input_type=".bad.v1.M", output_type=".bad.v1.M")
    if service_rule is not None:
        service.options.Extensions[options_pb2.service_rule].MergeFrom(options_pb2.AccessRule(**service_rule))
    if method_rule is not None:
        method.options.Extensions[options_pb2.method_rule].MergeFrom(options_pb2.AccessRule(**method_rule))
    pool.Add(file)
    return pool.FindServiceByName(f"bad.v1.{name}")


PUBLIC_CONFLICT = "a public rule cannot also require scopes, roles or certificate binding"  # Rule's own message


@pytest.mark.parametrize("rule", [
    {"public": True, "scopes": ["a"]},
    {"public": True, "roles": ["r"], "any_scopes": ["s"]},
    {"public": True, "any_roles": ["r"]},
    {"public": True, "require_cert_binding": True},
])
def test_public_with_requirements_is_refused(rule: Dict[str, Any]) -> None:
    with pytest.raises(ValueError) as method_error:
        policy_from_services(_service(method_rule=rule))
    assert str(method_error.value) == f"/bad.v1.S/Call (option fastjwt.auth.v1.method_rule): {PUBLIC_CONFLICT}"
    with pytest.raises(ValueError) as service_error:
        policy_from_services(_service(service_rule=rule))
    assert str(service_error.value) == (
        f"/bad.v1.S/* (option fastjwt.auth.v1.service_rule of bad.v1.S): {PUBLIC_CONFLICT}")
    # The same rule as a mapping is refused by Rule itself.
    with pytest.raises(ValueError, match=f"^{PUBLIC_CONFLICT}$"):
        Policy({"/bad.v1.S/Call": rule})


@pytest.mark.parametrize(("field", "name"), [("scopes", ""), ("roles", "two words"), ("any_scopes", " padded"),
                                             ("any_roles", "tab\there")])
def test_empty_or_blank_names_are_refused(field: str, name: str) -> None:
    with pytest.raises(ValueError) as error:
        policy_from_services(_service(method_rule={field: ["ok", name]}))
    assert str(error.value) == (
        f"/bad.v1.S/Call (option fastjwt.auth.v1.method_rule): {field} entry {name!r} is empty or contains whitespace")


def test_a_public_method_in_a_service_that_requires_scopes_is_fine() -> None:
    policy = policy_from_services(_service(service_rule={"scopes": ["a"], "require_cert_binding": True},
                                           method_rule={"public": True}))
    assert policy.rule_for("/bad.v1.S/Call") == Rule(public=True)
    assert policy.rule_for("/bad.v1.S/Other") == Rule(scopes=("a",), require_cert_binding=True)


def test_two_services_of_one_name_with_different_rules_are_refused() -> None:
    first, second = _service(service_rule={"scopes": ["a"]}), _service(service_rule={"scopes": ["b"]})
    with pytest.raises(ValueError) as error:
        policy_from_services(first, second)
    assert str(error.value) == "/bad.v1.S/*: two services named bad.v1.S declare different rules"


def test_wrong_arguments() -> None:
    with pytest.raises(ValueError, match=r"^policy_from_services\(\) needs at least one service$"):
        policy_from_services()
    with pytest.raises(ValueError, match=r"^fastjwt/auth/v1/options.proto declares no service$"):
        policy_from_services(options_pb2)
    with pytest.raises(TypeError) as error:
        policy_from_services("fastjwt_test.v1.Echo")  # type: ignore[arg-type]
    assert str(error.value) == ("policy_from_services() takes ServiceDescriptor, FileDescriptor or generated _pb2 "
                                "modules, not str")




def test_policy_from_services_is_the_same() -> None:
    assert Policy.from_services(echo_pb2) == policy_from_services(echo_pb2) == Policy(MAPPING)
    assert Policy.from_services(echo_pb2, roles_claim="realm_access.roles") == Policy(
        MAPPING, roles_claim="realm_access.roles")


# End to end: the same interceptor decisions on a real server, policy from options or from the mapping.


class _Echo(echo_pb2_grpc.EchoServicer):
    """The generated Echo service: every method answers with the caller's subject."""

    def _reply(self, request: echo_pb2.EchoRequest) -> echo_pb2.EchoReply:
        claims = current_claims()
        return echo_pb2.EchoReply(text=request.text, subject=(claims or {}).get("sub", ""))

    def Unary(self, request: Any, context: Any) -> Any:
        return self._reply(request)

    def Status(self, request: Any, context: Any) -> Any:
        return self._reply(request)

    def ServerStream(self, request: Any, context: Any) -> Any:
        yield self._reply(request)

    def ClientStream(self, requests: Any, context: Any) -> Any:
        return self._reply(list(requests)[-1])

    def BidiStream(self, requests: Any, context: Any) -> Any:
        for request in requests:
            yield self._reply(request)


class _Admin(echo_pb2_grpc.AdminServicer):
    def Purge(self, request: Any, context: Any) -> Any:
        return echo_pb2.EchoReply(text="purged", subject=(current_claims() or {}).get("sub", ""))

    def Ping(self, request: Any, context: Any) -> Any:
        return echo_pb2.EchoReply(text="pong", subject=(current_claims() or {}).get("sub", ""))


def _outcome(channel: grpc.Channel, method: str, metadata: Any) -> Tuple[str, str]:
    """(status code name, subject or details) of one call to a method of the test services."""
    stub = (echo_pb2_grpc.EchoStub if "/fastjwt_test.v1.Echo/" in method else echo_pb2_grpc.AdminStub)(channel)
    name = method.rsplit("/", 1)[1]
    request = echo_pb2.EchoRequest(text="hi")
    try:
        if name in ("ClientStream", "BidiStream"):
            replies = getattr(stub, name)(iter([request, request]), metadata=metadata, timeout=TIMEOUT)
        else:
            replies = getattr(stub, name)(request, metadata=metadata, timeout=TIMEOUT)
        last = list(replies)[-1] if name in ("ServerStream", "BidiStream") else replies
        return "OK", last.subject
    except grpc.RpcError as error:
        return error.code().name, error.details()


def _add_services(server: grpc.Server) -> None:
    echo_pb2_grpc.add_EchoServicer_to_server(_Echo(), server)
    echo_pb2_grpc.add_AdminServicer_to_server(_Admin(), server)


def test_a_real_server_decides_the_same_with_either_policy() -> None:
    declared = [f"/fastjwt_test.v1.{service.name}/{method.name}"
                for service in echo_pb2.DESCRIPTOR.services_by_name.values() for method in service.methods]
    callers = [None, *(bearer(mint(**{"scope": None, "roles": None, **claims})) for claims in CLAIMS)]
    outcomes = []
    for policy in (Policy.from_services(echo_pb2), Policy(MAPPING)):
        with sync_server([AuthInterceptor(validator(), policy)], [], setup=_add_services) as port:
            with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
                outcomes.append({(method, i): _outcome(channel, method, metadata)
                                 for method in declared for i, metadata in enumerate(callers)})
    assert outcomes[0] == outcomes[1]
    table = outcomes[0]
    # Spot checks that the table is the declared policy at work.
    assert table[(f"{ECHO}/BidiStream", 0)] == ("OK", "")  # public, no token
    assert table[(f"{ECHO}/BidiStream", 1)] == ("OK", "nobody")  # public, claims still set
    assert table[(f"{ECHO}/Unary", 0)] == ("UNAUTHENTICATED", "missing token")
    assert table[(f"{ECHO}/Unary", 1)] == ("PERMISSION_DENIED", "missing scope")
    assert table[(f"{ECHO}/Unary", 2)] == ("OK", "reader")
    assert table[(f"{ECHO}/Status", 1)] == ("OK", "nobody")  # empty method rule: any valid token
    assert table[(f"{ECHO}/ServerStream", 2)] == ("PERMISSION_DENIED", "missing scope")
    assert table[(f"{ECHO}/ServerStream", 3)] == ("OK", "streamer")
    assert table[(f"{ECHO}/ClientStream", 4)] == ("UNAUTHENTICATED", "token not bound to a certificate")
    assert table[(f"{ADMIN}/Purge", 2)] == ("PERMISSION_DENIED", "missing role")
    assert table[(f"{ADMIN}/Purge", 5)] == ("OK", "admin")
    assert table[(f"{ADMIN}/Ping", 1)] == ("OK", "nobody")
