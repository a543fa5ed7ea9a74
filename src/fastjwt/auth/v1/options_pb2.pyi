from google.protobuf import descriptor_pb2 as _descriptor_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor
METHOD_RULE_FIELD_NUMBER: _ClassVar[int]
method_rule: _descriptor.FieldDescriptor
SERVICE_RULE_FIELD_NUMBER: _ClassVar[int]
service_rule: _descriptor.FieldDescriptor

class AccessRule(_message.Message):
    __slots__ = ("scopes", "roles", "any_scopes", "any_roles", "public", "require_cert_binding")
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    ROLES_FIELD_NUMBER: _ClassVar[int]
    ANY_SCOPES_FIELD_NUMBER: _ClassVar[int]
    ANY_ROLES_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_FIELD_NUMBER: _ClassVar[int]
    REQUIRE_CERT_BINDING_FIELD_NUMBER: _ClassVar[int]
    scopes: _containers.RepeatedScalarFieldContainer[str]
    roles: _containers.RepeatedScalarFieldContainer[str]
    any_scopes: _containers.RepeatedScalarFieldContainer[str]
    any_roles: _containers.RepeatedScalarFieldContainer[str]
    public: bool
    require_cert_binding: bool
    def __init__(self, scopes: _Optional[_Iterable[str]] = ..., roles: _Optional[_Iterable[str]] = ..., any_scopes: _Optional[_Iterable[str]] = ..., any_roles: _Optional[_Iterable[str]] = ..., public: _Optional[bool] = ..., require_cert_binding: _Optional[bool] = ...) -> None: ...
