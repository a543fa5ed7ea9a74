"""fastjwt.grpc.policy: rules, pattern matching, scope and role extraction, decisions."""

from __future__ import annotations

import sys
import types
from typing import Any, Dict, Optional

import pytest

from fastjwt.grpc import Policy, Rule
from fastjwt.grpc.policy import roles_of, scopes_of

#: A mapping policy and the decision for each (method, claims): None (allowed)
#: or the reason. The same rules declared as proto options must decide alike.
MAPPING: Dict[str, Any] = {
    "*": {"scopes": ["base"]},
    "/shop.Orders/*": {"scopes": ["orders:read"], "any_roles": ["clerk", "admin"]},
    "/shop.Orders/Delete": {"scopes": ["orders:write", "orders:read"], "roles": ["admin"]},
    "/shop.Orders/Status": {"public": True},
    "/shop.Catalog/Search": {"any_scopes": ["catalog", "search"]},
    "/shop.Vault/*": {"require_cert_binding": True},
}
DECISIONS = [
    ("/shop.Orders/Get", {"scope": "orders:read", "roles": ["clerk"]}, None),
    ("/shop.Orders/Get", {"scope": "orders:read", "roles": ["guest"]}, "missing role"),
    ("/shop.Orders/Get", {"scope": "orders:write", "roles": ["clerk"]}, "missing scope"),
    ("/shop.Orders/Get", {"roles": ["admin"]}, "missing scope"),
    ("/shop.Orders/Delete", {"scope": "orders:read orders:write", "roles": ["admin"]}, None),
    ("/shop.Orders/Delete", {"scope": "orders:read", "roles": ["admin"]}, "missing scope"),
    ("/shop.Orders/Delete", {"scp": ["orders:read", "orders:write"], "roles": ["clerk"]}, "missing role"),
    ("/shop.Orders/Status", {}, None),
    ("/shop.Catalog/Search", {"scp": "search"}, None),
    ("/shop.Catalog/Search", {"scope": "base"}, "missing scope"),
    ("/shop.Catalog/List", {"scope": "base"}, None),
    ("/shop.Catalog/List", {"scope": "catalog"}, "missing scope"),
    ("/shop.Vault/Open", {}, None),  # binding is the interceptor's check
    ("/grpc.health.v1.Health/Check", {}, None),
]


@pytest.mark.parametrize(("method", "claims", "reason"), DECISIONS)
def test_mapping_policy_decisions(method: str, claims: Dict[str, Any], reason: Optional[str]) -> None:
    policy = Policy(MAPPING)
    assert policy.check(policy.rule_for(method), claims) == reason


def test_rule_for_picks_the_most_specific_pattern() -> None:
    policy = Policy(MAPPING)
    assert policy.rule_for("/shop.Orders/Delete") == Rule(scopes=("orders:write", "orders:read"), roles=("admin",))
    assert policy.rule_for("/shop.Orders/Get") == Rule(scopes=("orders:read",), any_roles=("clerk", "admin"))
    assert policy.rule_for("/shop.Orders/Status") == Rule(public=True)
    assert policy.rule_for("/other.Service/Call") == Rule(scopes=("base",))
    assert policy.rule_for("/shop.Vault/Open").require_cert_binding is True


def test_deny_by_default_means_a_valid_token() -> None:
    policy = Policy()
    assert policy.rule_for("/any.Service/Method") == Rule()
    assert policy.check(Rule(), {}) is None
    assert Policy({"/a.B/C": {"public": True}}).rule_for("/a.B/D") == Rule()


@pytest.mark.parametrize("method", [
    "/grpc.health.v1.Health/Check",
    "/grpc.health.v1.Health/Watch",
    "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
])
def test_health_and_reflection_are_public_unless_named(method: str) -> None:
    assert Policy({"*": {"roles": ["x"]}}).rule_for(method) == Rule(public=True)
    service = method[: method.rfind("/")] + "/*"
    assert Policy({service: {"roles": ["ops"]}}).rule_for(method) == Rule(roles=("ops",))
    assert Policy({method: {"scopes": ["ops"]}}).rule_for(method) == Rule(scopes=("ops",))


def test_rule_from_value() -> None:
    rule = Rule(scopes=("a",))
    assert Rule.from_value(rule) is rule
    assert Rule.from_value({"scopes": "a", "any_roles": ["r1", "r2"]}) == Rule(scopes=("a",),
                                                                             any_roles=("r1", "r2"))
    assert Rule(roles="Domain Admins").roles == ("Domain Admins",)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^Rule.scopes: a scope name cannot contain spaces \(give a list"):
        Rule.from_value({"scopes": "read write"})
    with pytest.raises(ValueError, match=r"^Rule.any_scopes: a scope name cannot contain spaces"):
        Rule(any_scopes=("read ",))
    assert Rule.from_value({}) == Rule()
    with pytest.raises(ValueError, match=r"^unknown rule field\(s\): scope$"):
        Rule.from_value({"scope": ["a"]})
    with pytest.raises(TypeError, match="^a rule must be a Rule or a dict, not list$"):
        Rule.from_value(["a"])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^Rule.roles must hold non-empty strings$"):
        Rule(roles=("admin", ""))
    with pytest.raises(TypeError, match=r"^Rule.scopes must be a string or a list of strings$"):
        Rule(scopes=3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^Rule.public must be a bool$"):
        Rule(public=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="^a public rule cannot also require"):
        Rule(public=True, scopes=("a",))
    with pytest.raises(ValueError, match="^a public rule cannot also require"):
        Rule(public=True, require_cert_binding=True)


@pytest.mark.parametrize("pattern", ["Orders", "/shop.Orders", "/shop.Orders/", "//Get", "/shop.*/Get",
                                     "/shop.Orders/Get*", "shop.Orders/Get", "/a/b/c", "**"])
def test_bad_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(ValueError, match="^bad policy pattern"):
        Policy({pattern: {}})


def test_policy_needs_a_roles_claim_and_str_patterns() -> None:
    with pytest.raises(ValueError, match="^roles_claim must be"):
        Policy(roles_claim="")
    with pytest.raises(TypeError, match="^policy patterns must be strings$"):
        Policy({1: {}})  # type: ignore[dict-item]


@pytest.mark.parametrize(("claims", "expected"), [
    ({}, set()),
    ({"scope": "a b  c"}, {"a", "b", "c"}),
    ({"scp": ["a", "b"]}, {"a", "b"}),
    ({"scp": "a b"}, {"a", "b"}),
    ({"scope": "a", "scp": ["b"]}, {"a", "b"}),
    ({"scope": ["a", 3, None]}, {"a"}),
    ({"scope": 7, "scp": {"a": 1}}, set()),
])
def test_scopes_of(claims: Dict[str, Any], expected: set) -> None:
    assert scopes_of(claims) == expected


@pytest.mark.parametrize(("claims", "path", "expected"), [
    ({"roles": ["a", "b"]}, "roles", {"a", "b"}),
    ({"roles": "a b"}, "roles", {"a", "b"}),
    ({"roles": {"a": True}}, "roles", set()),
    ({}, "roles", set()),
    ({"realm_access": {"roles": ["admin"]}}, "realm_access.roles", {"admin"}),
    ({"realm_access": ["admin"]}, "realm_access.roles", set()),
    ({"resource_access": {"api": {"roles": ["r"]}}}, "resource_access.api.roles", {"r"}),
    ({"https://example.com/roles": ["ns"], "https://example": {"com/roles": ["no"]}}, "https://example.com/roles",
     {"ns"}),
])
def test_roles_of(claims: Dict[str, Any], path: str, expected: set) -> None:
    assert roles_of(claims, path) == expected


def test_roles_claim_is_the_policys() -> None:
    rule = Rule(roles=("admin",))
    claims = {"roles": ["user"], "realm_access": {"roles": ["admin"]}}
    assert Policy().check(rule, claims) == "missing role"
    nested = Policy(roles_claim="realm_access.roles")
    assert nested.check(rule, claims) is None
    assert Policy({"*": rule}).with_roles_claim("realm_access.roles") == Policy({"*": rule},
                                                                                roles_claim="realm_access.roles")


def test_scopes_are_checked_before_roles() -> None:
    rule = Rule(scopes=("s",), roles=("r",))
    assert Policy().check(rule, {}) == "missing scope"
    assert Policy().check(rule, {"scope": "s"}) == "missing role"
    assert Policy().check(Rule(any_scopes=("x", "y")), {"scope": "y"}) is None
    assert Policy().check(Rule(any_roles=("x", "y")), {"roles": ["z"]}) == "missing role"


def test_rules_property_is_a_copy() -> None:
    policy = Policy({"/a.B/C": Rule(roles=("r",))})
    policy.rules["*"] = Rule(public=True)
    assert policy.rule_for("/x.Y/Z") == Rule()
    assert repr(policy) == "Policy({'/a.B/C': " + repr(Rule(roles=("r",))) + "}, roles_claim='roles')"


def test_from_services_delegates_to_proto_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = []

    def policy_from_services(*services: Any) -> Policy:
        seen.append(services)
        return Policy({"/a.B/*": {"roles": ["r"]}})

    module = types.ModuleType("fastjwt.grpc.proto_policy")
    module.policy_from_services = policy_from_services  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fastjwt.grpc.proto_policy", module)
    assert Policy.from_services("svc1", "svc2") == Policy({"/a.B/*": {"roles": ["r"]}})
    assert Policy.from_services("svc1", roles_claim="x.y").roles_claim == "x.y"
    assert seen == [("svc1", "svc2"), ("svc1",)]
