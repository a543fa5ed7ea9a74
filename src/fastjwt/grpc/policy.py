"""PLACEHOLDER (branch grpc-proto only): the contract's Rule and Policy, just enough to run
proto_policy's tests. The server helper's fastjwt/grpc/policy.py replaces this file at merge;
keep theirs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional, Tuple, Union

_PUBLIC_BY_DEFAULT = (
    "/grpc.health.v1.Health/*",
    "/grpc.reflection.v1.ServerReflection/*",
    "/grpc.reflection.v1alpha.ServerReflection/*",
)


@dataclass(frozen=True)
class Rule:
    """What a call needs (placeholder of the contract's Rule)."""

    scopes: Tuple[str, ...] = ()
    roles: Tuple[str, ...] = ()
    any_scopes: Tuple[str, ...] = ()
    any_roles: Tuple[str, ...] = ()
    public: bool = False
    require_cert_binding: bool = False

    @classmethod
    def from_value(cls, value: Union["Rule", Mapping[str, Any]]) -> "Rule":
        """A Rule from a Rule or a dict of its fields."""
        if isinstance(value, Rule):
            return value
        fields: Dict[str, Any] = {k: (tuple(v) if isinstance(v, (list, tuple)) else v) for k, v in value.items()}
        return cls(**fields)


class Policy:
    """Rules by method pattern (placeholder of the contract's Policy)."""

    def __init__(self, rules: Mapping[str, Union[Rule, Mapping[str, Any]]] = {}, *, roles_claim: str = "roles"):
        self._rules: Dict[str, Rule] = {k: Rule.from_value(v) for k, v in rules.items()}
        for pattern in _PUBLIC_BY_DEFAULT:
            self._rules.setdefault(pattern, Rule(public=True))
        self.roles_claim = roles_claim

    def rule_for(self, method: str) -> Rule:
        """The most specific of "/pkg.Svc/Method", "/pkg.Svc/*", "*"; Rule() if none."""
        service = method.rsplit("/", 1)[0]
        for key in (method, service + "/*", "*"):
            if key in self._rules:
                return self._rules[key]
        return Rule()

    def check(self, rule: Rule, claims: Mapping[str, Any]) -> Optional[str]:
        """None if the claims meet the rule, else "missing scope" / "missing role"."""
        scope = claims.get("scope", claims.get("scp", ""))
        scopes = set(scope.split() if isinstance(scope, str) else scope)
        roles: Any = claims
        for part in self.roles_claim.split("."):
            roles = roles.get(part, ()) if isinstance(roles, Mapping) else ()
        roles = set(roles) if isinstance(roles, (list, tuple)) else set()
        if not scopes.issuperset(rule.scopes) or (rule.any_scopes and not scopes.intersection(rule.any_scopes)):
            return "missing scope"
        if not roles.issuperset(rule.roles) or (rule.any_roles and not roles.intersection(rule.any_roles)):
            return "missing role"
        return None
