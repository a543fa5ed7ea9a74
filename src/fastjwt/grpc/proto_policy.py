"""A Policy read from the access options declared in a service's own .proto.

The options are defined in ``protos/fastjwt/auth/v1/options.proto``::

    service Things {
      option (fastjwt.auth.v1.service_rule) = { scopes: "things:read" };
      rpc DeleteThing(DeleteThingRequest) returns (Empty) {
        option (fastjwt.auth.v1.method_rule) = { scopes: "things:write" roles: "admin" };
      }
    }

``policy_from_services(things_pb2)`` gives the same Policy as the mapping
``{"/pkg.Things/*": {"scopes": ["things:read"]},
"/pkg.Things/DeleteThing": {"scopes": ["things:write"], "roles": ["admin"]}}``:
a method rule replaces the service rule for its method, and the service rule
covers every other method of the service.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, Dict, Iterable, List, Union

from google.protobuf.descriptor import FileDescriptor, ServiceDescriptor

from fastjwt.auth.v1 import options_pb2
from fastjwt.grpc.policy import Policy, Rule

# protoc's generated .pyi types the extensions as plain FieldDescriptors, while
# protobuf's typeshed stubs want extension descriptors for HasExtension/Extensions.
_SERVICE_RULE: Any = options_pb2.service_rule
_METHOD_RULE: Any = options_pb2.method_rule

#: What ``policy_from_services`` accepts: descriptors, or generated ``_pb2`` modules.
ServiceSource = Union[ServiceDescriptor, FileDescriptor, ModuleType]

_LISTS = ("scopes", "roles", "any_scopes", "any_roles")


def policy_from_services(*services: ServiceSource, roles_claim: str = "roles") -> Policy:
    """Build a Policy from the ``fastjwt.auth.v1`` options of gRPC services.

    Each argument is a ``ServiceDescriptor``, a ``FileDescriptor`` or a generated
    ``_pb2`` module (every service it declares). A ``service_rule`` becomes the rule
    of ``"/pkg.Service/*"``, a ``method_rule`` the rule of ``"/pkg.Service/Method"``
    (overriding the service rule); a method with neither keeps the default (a valid
    token and nothing more). Raises ``ValueError`` naming the option and method for
    a rule that cannot be meant (``public`` with requirements, empty names or names
    with spaces) and for one service given twice with different rules; ``TypeError``
    for an argument that is not a service source.
    """
    if not services:
        raise ValueError("policy_from_services() needs at least one service")
    rules: Dict[str, Rule] = {}
    for descriptor in _service_descriptors(services):
        for pattern, rule in _service_rules(descriptor).items():
            if pattern in rules and rules[pattern] != rule:
                raise ValueError(f"{pattern}: two services named {descriptor.full_name} declare different rules")
            rules[pattern] = rule
    return Policy(rules, roles_claim=roles_claim)


def _service_descriptors(sources: Iterable[object]) -> List[ServiceDescriptor]:
    found: List[ServiceDescriptor] = []
    for source in sources:
        if isinstance(source, ServiceDescriptor):
            found.append(source)
            continue
        file = getattr(source, "DESCRIPTOR", None) if isinstance(source, ModuleType) else source
        if not isinstance(file, FileDescriptor):
            raise TypeError(
                "policy_from_services() takes ServiceDescriptor, FileDescriptor or generated _pb2 modules, "
                f"not {type(source).__name__}"
            )
        if not file.services_by_name:
            raise ValueError(f"{file.name} declares no service")
        found.extend(file.services_by_name.values())
    return found


def _service_rules(service: ServiceDescriptor) -> Dict[str, Rule]:
    """The rules one service declares, by method pattern."""
    rules: Dict[str, Rule] = {}
    prefix = f"/{service.full_name}/"
    options = service.GetOptions()
    if options.HasExtension(_SERVICE_RULE):
        where = f"{prefix}* (option fastjwt.auth.v1.service_rule of {service.full_name})"
        rules[prefix + "*"] = _rule(options.Extensions[_SERVICE_RULE], where)
    for method in service.methods:
        options = method.GetOptions()
        if options.HasExtension(_METHOD_RULE):
            where = f"{prefix}{method.name} (option fastjwt.auth.v1.method_rule)"
            rules[prefix + method.name] = _rule(options.Extensions[_METHOD_RULE], where)
    return rules


def _rule(message: options_pb2.AccessRule, where: str) -> Rule:
    """A Rule from an AccessRule option; an invalid one is a ValueError saying where it is."""
    for field in _LISTS:
        for name in getattr(message, field):
            if not name or len(name.split()) != 1 or name != name.strip():
                # Scope claims are space-separated lists: such a name could never match.
                raise ValueError(f"{where}: {field} entry {name!r} is empty or contains whitespace")
    try:
        return Rule(
            scopes=tuple(message.scopes),
            roles=tuple(message.roles),
            any_scopes=tuple(message.any_scopes),
            any_roles=tuple(message.any_roles),
            public=message.public,
            require_cert_binding=message.require_cert_binding,
        )
    except (TypeError, ValueError) as error:  # Rule's own checks (e.g. public with requirements)
        raise ValueError(f"{where}: {error}") from error
