"""Per-method access rules: :class:`Rule`, :class:`Policy`, scope and role extraction.

A policy maps a full method name (``"/pkg.Service/Method"``), a service
wildcard (``"/pkg.Service/*"``) or ``"*"`` to a :class:`Rule`; the most
specific pattern wins. A method no pattern covers needs a valid token and
nothing more (deny by default). gRPC health checking and server reflection
are public unless the policy names their service or method.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Dict, FrozenSet, Iterable, Mapping, Optional, Tuple, Union

__all__ = ["Rule", "Policy", "scopes_of", "roles_of", "MISSING_SCOPE", "MISSING_ROLE"]

MISSING_SCOPE = "missing scope"
MISSING_ROLE = "missing role"

#: Services that are public unless the policy names them.
_PUBLIC_SERVICES = frozenset({
    "/grpc.health.v1.Health/*",
    "/grpc.reflection.v1.ServerReflection/*",
    "/grpc.reflection.v1alpha.ServerReflection/*",
})

_EMPTY: FrozenSet[str] = frozenset()
#: Parsed "scope" strings: tokens of one client repeat theirs (bounded; str keys only).
_SCOPE_MEMO: Dict[str, FrozenSet[str]] = {}
_SCOPE_MEMO_SIZE = 1024


def _names(value: Any, field: str) -> Tuple[str, ...]:
    """A tuple of names from a str (one name) or an iterable of str."""
    if isinstance(value, str):
        return (value,)
    try:
        names = tuple(value)
    except TypeError:
        raise TypeError(f"Rule.{field} must be a string or a list of strings") from None
    if not all(isinstance(name, str) and name for name in names):
        raise TypeError(f"Rule.{field} must hold non-empty strings")
    return names


@dataclass(frozen=True)
class Rule:
    """What a method needs beyond a valid token.

    Attributes:
        scopes: every one of these scopes is required.
        roles: every one of these roles is required.
        any_scopes: at least one of these scopes is required.
        any_roles: at least one of these roles is required.
        public: no token needed (a valid token still sets ``current_claims()``).
        require_cert_binding: the token must be bound to the caller's client
            certificate (RFC 8705 ``cnf.x5t#S256``), so the call must use mTLS.
    """

    scopes: Tuple[str, ...] = ()
    roles: Tuple[str, ...] = ()
    any_scopes: Tuple[str, ...] = ()
    any_roles: Tuple[str, ...] = ()
    public: bool = False
    require_cert_binding: bool = False

    def __post_init__(self) -> None:
        for name in ("scopes", "roles", "any_scopes", "any_roles"):
            object.__setattr__(self, name, _names(getattr(self, name), name))
        for name in ("scopes", "any_scopes"):
            if any(len(scope.split()) != 1 or scope.strip() != scope for scope in getattr(self, name)):
                # RFC 6749 3.3: a scope token has no spaces, so such a name could never match.
                raise ValueError(f"Rule.{name}: a scope name cannot contain spaces (give a list of scopes)")
        for name in ("public", "require_cert_binding"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"Rule.{name} must be a bool")
        if self.public and (self.needs_claims or self.require_cert_binding):
            raise ValueError("a public rule cannot also require scopes, roles or certificate binding")

    @property
    def needs_claims(self) -> bool:
        """True when the rule looks at scopes or roles."""
        return bool(self.scopes or self.roles or self.any_scopes or self.any_roles)

    @classmethod
    def from_value(cls, value: Union[Rule, Mapping[str, Any]]) -> Rule:
        """A Rule from a Rule (returned as is) or a dict of its fields."""
        if isinstance(value, Rule):
            return value
        if not isinstance(value, Mapping):
            raise TypeError(f"a rule must be a Rule or a dict, not {type(value).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(value) - known)
        if unknown:
            raise ValueError(f"unknown rule field(s): {', '.join(map(str, unknown))}")
        return cls(**value)


def _check_pattern(pattern: Any) -> str:
    """``"*"``, ``"/pkg.Service/*"`` or ``"/pkg.Service/Method"``; anything else is a ValueError."""
    if not isinstance(pattern, str):
        raise TypeError("policy patterns must be strings")
    if pattern == "*":
        return pattern
    parts = pattern.split("/")
    if len(parts) != 3 or parts[0] or not parts[1] or not parts[2] or "*" in parts[1] or (
            "*" in parts[2] and parts[2] != "*"):
        raise ValueError(f"bad policy pattern {pattern!r}: use '/pkg.Service/Method', '/pkg.Service/*' or '*'")
    return pattern


def scopes_of(claims: Mapping[str, Any]) -> FrozenSet[str]:
    """The scopes a token grants: ``scope`` (space-separated, RFC 8693/9068)
    and ``scp`` (a list, or a space-separated string), together."""
    scope = claims.get("scope")
    scp = claims.get("scp")
    if scope is None and scp is None:
        return _EMPTY
    return frozenset(_split(scope)) | frozenset(_split(scp))


def _split(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        return value.split()
    if isinstance(value, (list, tuple)):
        return [item for item in value if isinstance(item, str)]
    return ()


def roles_of(claims: Mapping[str, Any], roles_claim: str = "roles") -> FrozenSet[str]:
    """The roles a token grants, from ``roles_claim``.

    ``roles_claim`` is a claim name or a dotted path into nested objects
    (``"realm_access.roles"``); a name that exists as such wins over the path
    (namespaced claims like ``"https://example.com/roles"`` contain dots).
    The value is a list of strings or a space-separated string.
    """
    if roles_claim in claims:
        value = claims[roles_claim]
    else:
        value = claims
        for part in roles_claim.split("."):
            if not isinstance(value, Mapping) or part not in value:
                return _EMPTY
            value = value[part]
    return frozenset(_split(value))


class Policy:
    """Rules by method pattern; :meth:`rule_for` finds the one that applies.

    Args:
        rules: a mapping from ``"/pkg.Service/Method"``, ``"/pkg.Service/*"``
            or ``"*"`` to a :class:`Rule` or a dict of its fields.
        roles_claim: the claim name or dotted path that holds roles.
    """

    def __init__(self, rules: Optional[Mapping[str, Union[Rule, Mapping[str, Any]]]] = None, *,
                 roles_claim: str = "roles") -> None:
        if not isinstance(roles_claim, str) or not roles_claim:
            raise ValueError("roles_claim must be a non-empty claim name or dotted path")
        self._rules: Dict[str, Rule] = {_check_pattern(p): Rule.from_value(r) for p, r in (rules or {}).items()}
        self._roles_claim = roles_claim
        self._default = self._rules.get("*", Rule())

    @property
    def rules(self) -> Dict[str, Rule]:
        """The rules by pattern (a copy)."""
        return dict(self._rules)

    @property
    def roles_claim(self) -> str:
        """Where roles are read from."""
        return self._roles_claim

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Policy):
            return NotImplemented
        return self._rules == other._rules and self._roles_claim == other._roles_claim

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Policy({self._rules!r}, roles_claim={self._roles_claim!r})"

    def rule_for(self, method: str) -> Rule:
        """The rule of ``method`` (``"/pkg.Service/Method"``): its own, its
        service's, the public rule of health and reflection, ``"*"``'s, or
        ``Rule()`` (a valid token, nothing more), in that order."""
        rules = self._rules
        rule = rules.get(method)
        if rule is not None:
            return rule
        service = method[: method.rfind("/") + 1] + "*"
        rule = rules.get(service)
        if rule is not None:
            return rule
        if service in _PUBLIC_SERVICES:
            return _PUBLIC
        return self._default

    def check(self, rule: Rule, claims: Mapping[str, Any]) -> Optional[str]:
        """None when ``claims`` meet ``rule``'s scopes and roles, else the
        reason: ``"missing scope"`` or ``"missing role"`` (scopes first).

        Certificate binding needs the connection, so the interceptor checks it.
        """
        if rule.scopes or rule.any_scopes:
            scope = claims.get("scope")
            # The usual claims (a "scope" string, no "scp") take one memo lookup.
            if type(scope) is str and "scp" not in claims:
                granted = _SCOPE_MEMO.get(scope)
                if granted is None:
                    granted = frozenset(scope.split())
                    if len(_SCOPE_MEMO) < _SCOPE_MEMO_SIZE:
                        _SCOPE_MEMO[scope] = granted
            else:
                granted = scopes_of(claims)
            if not granted.issuperset(rule.scopes) or (rule.any_scopes and granted.isdisjoint(rule.any_scopes)):
                return MISSING_SCOPE
        if rule.roles or rule.any_roles:
            roles = claims.get(self._roles_claim)
            if type(roles) is list:  # the usual form: membership in the list itself, no set built
                for role in rule.roles:
                    if role not in roles:
                        return MISSING_ROLE
                if rule.any_roles:
                    for role in rule.any_roles:
                        if role in roles:
                            return None
                    return MISSING_ROLE
                return None
            granted = roles_of(claims, self._roles_claim)
            if not granted.issuperset(rule.roles) or (rule.any_roles and granted.isdisjoint(rule.any_roles)):
                return MISSING_ROLE
        return None

    def with_roles_claim(self, roles_claim: str) -> Policy:
        """The same rules, reading roles from ``roles_claim``."""
        return Policy(self._rules, roles_claim=roles_claim)

    @classmethod
    def from_services(cls, *services: Any, roles_claim: Optional[str] = None) -> Policy:
        """A policy from the ``fastjwt.auth.v1`` options declared in ``.proto``
        files: ``services`` are ServiceDescriptor objects or generated
        ``_pb2`` modules (all their services). A method's rule overrides its
        service's, which becomes ``"/pkg.Service/*"``."""
        # Imported here: it needs protobuf and the generated options module.
        from .proto_policy import policy_from_services

        policy: Policy = policy_from_services(*services)
        return policy if roles_claim is None else policy.with_roles_claim(roles_claim)


_PUBLIC = Rule(public=True)
