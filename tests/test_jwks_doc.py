"""The one JWK Set parser (fastjwt._jwks_doc): its policy for the members it skips, and its three users.

KeySet.from_jwks, the JWKS clients (fastjwt._jwks_refresh._build_key_set)
and the key directory parse JWK Sets through parse_members; the skip policy
is tested here once, then each user is shown to apply it.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Dict, List

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from fastjwt import DirectoryKeySource, InvalidKeyError, Key, KeySet
from fastjwt._jwks_doc import SYMMETRIC_REFUSED, JWKSMembers, jwks_members, member_digest, parse_members
from fastjwt._jwks_refresh import _build_key_set
from fastjwt.algorithms import ECAlgorithm
from fastjwt.exceptions import PyJWKSetError

SECRET_B64 = "c2VjcmV0LXNob3VsZC1uZXZlci1iZS1sb2dnZWQ"


def jwk(kid: Any, **members: Any) -> Dict[str, Any]:
    """A P-256 public JWK for ES256 with this kid (and extra members)."""
    made = ECAlgorithm.to_jwk(ec.generate_private_key(ec.SECP256R1()).public_key(), as_dict=True)
    made.update(kid=kid, alg="ES256")
    made.update(members)
    return made


def verifying(member: Any) -> Key:
    return Key.from_jwk(member, allow_symmetric=False)


#: Every kind of member the policy skips, with the reason logged (index in MEMBERS -> reason).
SKIPPED = {
    1: "JWK use 'enc' is not for signatures",
    2: "JWK key_ops does not allow verify",
    3: SYMMETRIC_REFUSED,
    4: 'Unsupported kty "XYZ"',
    5: "Coords should be 32 bytes for curve P-256",
    6: 'JWK member "kid" must be a string',
    7: "JWK is not valid JSON",
}


@pytest.fixture
def members() -> List[Any]:
    return [
        jwk("A"),
        jwk("enc", use="enc"),  # an encryption key: endpoints publish those too
        jwk("ops", key_ops=["sign"]),
        {"kty": "oct", "k": SECRET_B64, "kid": "hmac"},  # a secret in a published document
        {"kty": "XYZ", "kid": "x"},
        {"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA", "kid": "short"},  # malformed material
        jwk(7),  # a bad kid
        "nonsense",
        jwk("B"),
    ]


def test_unusable_and_symmetric_members_are_skipped_and_logged(members: List[Any],
                                                                caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="fastjwt.keys"):
        parsed = parse_members(members, to_key=verifying, source="test.json")
    assert [key.kid for key in parsed.keys] == ["A", "B"]
    assert parsed.skipped == tuple(SKIPPED.items())
    assert parsed.by_digest == {}  # members are not identified unless asked
    lines = [record.getMessage() for record in caplog.records if record.name == "fastjwt.keys"]
    assert lines == [f"Skipping JWK Set member {index} of test.json: {reason}" for index, reason in SKIPPED.items()]
    assert all(record.levelno == logging.DEBUG for record in caplog.records)
    assert SECRET_B64 not in caplog.text and members[5]["x"] not in caplog.text


def test_symmetric_members_are_used_when_allowed(members: List[Any]) -> None:
    parsed = parse_members(members, to_key=lambda member: Key.from_jwk(member), allow_symmetric=True)
    assert [key.kid for key in parsed.keys] == ["A", "hmac", "B"]
    assert 3 not in dict(parsed.skipped)


def test_strict_raises_the_first_unusable_members_error(members: List[Any]) -> None:
    with pytest.raises(InvalidKeyError, match="JWK use 'enc' is not for signatures"):
        parse_members(members, to_key=verifying, strict=True)
    with pytest.raises(InvalidKeyError, match=r"symmetric \(oct\)"):
        parse_members(members[3:4], to_key=verifying, strict=True)


def test_identified_members_drop_duplicates_and_keep_their_keys(caplog: pytest.LogCaptureFixture) -> None:
    a, b = jwk("A"), jwk("B")
    reordered_a = dict(reversed(list(a.items())))  # the same member, its fields in another order
    with caplog.at_level(logging.DEBUG, logger="fastjwt.keys"):
        first = parse_members([a, b, reordered_a], to_key=verifying, previous={})
    assert [key.kid for key in first.keys] == ["A", "B"]
    assert first.skipped == ((2, "a duplicate of an earlier member"),)
    assert set(first.by_digest) == {member_digest(a), member_digest(b)}
    assert member_digest(a) == member_digest(reordered_a)

    c = jwk("C")
    second = parse_members([c, reordered_a], to_key=verifying, previous=first.by_digest)
    assert second.keys[1] is first.keys[0]  # republished unchanged: the very Key object
    assert second.keys[0].kid == "C" and first.keys[1] not in second.keys
    assert set(second.by_digest) == {member_digest(c), member_digest(a)}


def test_a_foreign_error_is_logged_by_its_type_only(caplog: pytest.LogCaptureFixture) -> None:
    def leaky(member: Any) -> Key:
        raise ValueError(f"bad key material {SECRET_B64}")

    with caplog.at_level(logging.INFO, logger="fastjwt.test"):
        parsed = parse_members([jwk("A")], to_key=leaky, source="x", logger=logging.getLogger("fastjwt.test"),
                               level=logging.INFO)
    assert parsed == JWKSMembers((), {}, ((0, "ValueError"),))
    assert caplog.messages == ["Skipping JWK Set member 0 of x: ValueError"]
    assert SECRET_B64 not in caplog.text


def test_other_errors_propagate() -> None:
    def broken(member: Any) -> Key:
        raise RuntimeError("a bug, not an unusable member")

    with pytest.raises(RuntimeError):
        parse_members([jwk("A")], to_key=broken)


@pytest.mark.parametrize("document", [None, [], "keys", {"keys": {}}, {"keys": "A"}, {"other": []}])
def test_jwks_members_of_what_is_not_a_jwk_set(document: Any) -> None:
    assert jwks_members(document) is None


def test_jwks_members_of_a_jwk_set() -> None:
    members = [jwk("A")]
    assert jwks_members({"keys": members}) is members


# --------------------------------------------------------------------------- its three users


def test_every_user_applies_the_same_policy(members: List[Any], tmp_path: Path,
                                            caplog: pytest.LogCaptureFixture) -> None:
    document = {"keys": members}
    assert [key.kid for key in KeySet.from_jwks(document)] == ["A", "B"]
    key_set, by_digest = _build_key_set(document, {})
    assert [key.kid for key in key_set] == ["A", "B"] and len(by_digest) == 2
    (tmp_path / "set.json").write_text(json.dumps(document))
    with caplog.at_level(logging.INFO, logger="fastjwt.keys"):
        directory = DirectoryKeySource(tmp_path)
        assert sorted(key.kid for key in directory.key_set()) == ["A", "B"]
    # The directory logs its skips at INFO, naming the file; its oct refusal is the policy's. (Its own
    # converter takes only objects: a member given as a JSON string is not parsed.)
    reasons = {**SKIPPED, 7: "JWK must be a JSON object"}
    skips = [record.getMessage() for record in caplog.records if record.getMessage().startswith("Skipping")]
    assert skips == [f"Skipping JWK Set member {index} of set.json: {reason}" for index, reason in reasons.items()]
    assert SECRET_B64 not in caplog.text


def test_every_user_refuses_a_set_without_usable_members(tmp_path: Path) -> None:
    document = {"keys": [jwk("enc", use="enc"), {"kty": "oct", "k": SECRET_B64}]}
    with pytest.raises(PyJWKSetError, match="The JWK Set did not contain any usable keys"):
        KeySet.from_jwks(document)
    with pytest.raises(PyJWKSetError, match="The JWK Set did not contain any usable keys"):
        _build_key_set(document, {})
    with pytest.raises(PyJWKSetError, match="Invalid JWK Set value"):
        _build_key_set({"keys": {}}, {})
    assert len(KeySet.from_jwks(document, allow_symmetric=True)) == 1
    assert len(_build_key_set(document, {}, allow_symmetric=True)[0]) == 1
