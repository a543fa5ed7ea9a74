"""``fastjwt keygen`` and ``fastjwt jwks``: make signing keys, publish public keys as a JWKS.

``keygen`` writes, into ``--out DIR``, for an asymmetric algorithm: the private
key (PKCS#8 PEM, mode 0600), the public key (SubjectPublicKeyInfo PEM), the
public JWK, and ``jwks.json`` (the public keys of every ``keygen`` run into
that directory, so two runs give a rotation-ready set). For HS256: the secret
(43 base64url characters, 256 random bits, mode 0600; usable as
``fastjwt verify --key @FILE``) and its JWK (mode 0600). The ``kid`` defaults to
the RFC 7638 thumbprint. Existing files are never overwritten without ``--force``.

``jwks`` prints a JWK Set of public keys read from PEM files (public keys,
certificates, or private keys, of which only the public part is used).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import sys
from typing import Any, Dict, List, Optional, Tuple

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

from .exceptions import InvalidKeyError
from .jwk import key_to_jwk, thumbprint
from .keys import Key

__all__ = ["KEYGEN_ALGORITHMS", "add_parsers"]

KEYGEN_ALGORITHMS = ("ES256", "EdDSA", "RS256", "HS256")
#: A kid becomes part of file names: keep it to a safe alphabet.
_KID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_EC_ALGS = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512", "secp256k1": "ES256K"}


class _Failure(Exception):
    """A command failure: message for stderr and the exit status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def _generate(alg: str, bits: int) -> Any:
    if alg == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    if alg == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def _write(path: str, data: bytes, *, private: bool, force: bool) -> None:
    """Create ``path`` with 0600 (private) or 0644; O_EXCL so a secret never lands in a
    pre-existing file with wider permissions (``--force`` removes the old file first)."""
    if force and os.path.lexists(path):
        os.unlink(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if private else 0o644)
    except FileExistsError:
        raise _Failure(f"fastjwt: {path} exists (use --force to replace it)", 1) from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _json_bytes(obj: Any) -> bytes:
    return (json.dumps(obj, indent=2) + "\n").encode("utf-8")


def _merged_jwks(path: str, jwk: Dict[str, Any]) -> Dict[str, Any]:
    """The directory's jwks.json with ``jwk`` added (replacing a key of the same kid)."""
    keys: List[Dict[str, Any]] = []
    if os.path.exists(path):
        try:
            with open(path, "rb") as handle:
                document = json.loads(handle.read())
            keys = [k for k in document["keys"] if isinstance(k, dict) and k.get("kid") != jwk["kid"]]
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise _Failure(f"fastjwt: {path} is not a JWK Set ({type(err).__name__}); move it away", 1) from None
    return {"keys": keys + [jwk]}


def _keygen(args: argparse.Namespace) -> int:
    if args.kid is not None and not _KID.match(args.kid):
        print("fastjwt keygen: --kid must be 1-128 characters of A-Z a-z 0-9 . _ - (it names the files)",
              file=sys.stderr)
        return 2
    if args.alg != "RS256" and args.bits is not None:
        print("fastjwt keygen: --bits applies to RS256 only", file=sys.stderr)
        return 2
    bits = args.bits or 3072
    if not 2048 <= bits <= 8192:
        print("fastjwt keygen: --bits must be between 2048 and 8192", file=sys.stderr)
        return 2
    try:
        os.makedirs(args.out, mode=0o700, exist_ok=True)
        files = _keygen_files(args, bits)
    except _Failure as failure:
        print(failure, file=sys.stderr)
        return failure.status
    except OSError as err:
        print(f"fastjwt: cannot write to {args.out}: {err.strerror}", file=sys.stderr)
        return 1
    kid, paths = files
    if args.json:
        print(json.dumps({"kid": kid, "alg": args.alg, "files": paths}, indent=2))
    else:
        print(f"kid {kid} ({args.alg})")
        for role, path in paths.items():
            print(f"  {role:12} {path}")
    return 0


def _keygen_files(args: argparse.Namespace, bits: int) -> Tuple[str, Dict[str, str]]:
    out = args.out
    if args.alg == "HS256":
        secret = secrets.token_urlsafe(32).encode("ascii")  # the text is the key: 256 random bits
        jwk = key_to_jwk(secret, alg="HS256", include_private=True)
        kid = args.kid or thumbprint(jwk)
        jwk = {"kty": "oct", "kid": kid, "alg": "HS256", "use": "sig", "k": jwk["k"]}
        paths = {"secret": os.path.join(out, f"{kid}.secret"), "jwk": os.path.join(out, f"{kid}.jwk.json")}
        _write(paths["secret"], secret, private=True, force=args.force)
        _write(paths["jwk"], _json_bytes(jwk), private=True, force=args.force)
        return kid, paths
    key = _generate(args.alg, bits)
    public_jwk = key_to_jwk(key.public_key())
    kid = args.kid or thumbprint(public_jwk)
    public_jwk = {**key_to_jwk(key.public_key(), kid=kid, alg=args.alg), "use": "sig"}
    paths = {
        "private_key": os.path.join(out, f"{kid}.key.pem"),
        "public_key": os.path.join(out, f"{kid}.pub.pem"),
        "jwk": os.path.join(out, f"{kid}.jwk.json"),
        "jwks": os.path.join(out, "jwks.json"),
    }
    for path in list(paths.values())[:3]:
        if os.path.lexists(path) and not args.force:
            raise _Failure(f"fastjwt: {path} exists (use --force to replace it)", 1)
    jwks = _merged_jwks(paths["jwks"], public_jwk)
    private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    _write(paths["private_key"], private_pem, private=True, force=args.force)
    _write(paths["public_key"], public_pem, private=False, force=args.force)
    _write(paths["jwk"], _json_bytes(public_jwk), private=False, force=args.force)
    _write(paths["jwks"], _json_bytes(jwks), private=False, force=True)  # the set grows with each run
    return kid, paths


def _public_key_from_pem(data: bytes) -> Tuple[Any, bool]:
    """(public key, whether it came from a private key) from a PEM public key, certificate or private key."""
    if b"CERTIFICATE-----" in data:
        return x509.load_pem_x509_certificate(data).public_key(), False
    if b"PRIVATE KEY-----" in data:
        return serialization.load_pem_private_key(data, password=None).public_key(), True
    return serialization.load_pem_public_key(data), False


def _default_alg(key: Any) -> Optional[str]:
    if isinstance(key, ec.EllipticCurvePublicKey):
        return _EC_ALGS.get(key.curve.name)
    if isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
        return "EdDSA"
    return None  # RSA: RS*/PS* are all possible; --alg binds one


def _jwks(args: argparse.Namespace) -> int:
    keys: List[Dict[str, Any]] = []
    for path in args.pem:
        try:
            with open(path, "rb") as handle:
                data = handle.read(1 << 20)
        except OSError as err:
            print(f"fastjwt jwks: cannot read {path}: {err.strerror}", file=sys.stderr)
            return 2
        try:
            public, was_private = _public_key_from_pem(data)
            alg = args.alg or _default_alg(public)
            jwk = key_to_jwk(public)
            jwk = {**key_to_jwk(public, kid=thumbprint(jwk), alg=alg), "use": "sig"}
            Key.from_jwk(jwk)  # the set must be usable: the key fits its alg
        except (ValueError, TypeError, UnsupportedAlgorithm, InvalidKeyError) as err:
            # The reason, never the file's contents.
            reason = str(err) if isinstance(err, InvalidKeyError) else type(err).__name__
            print(f"fastjwt jwks: {path}: not a usable public key ({reason})", file=sys.stderr)
            return 2
        if was_private:
            print(f"fastjwt jwks: {path} holds a private key; only its public part is published", file=sys.stderr)
        if all(k["kid"] != jwk["kid"] for k in keys):
            keys.append(jwk)
    text = json.dumps({"keys": keys}, indent=2)
    if args.out:
        try:
            _write(args.out, (text + "\n").encode("utf-8"), private=False, force=args.force)
        except _Failure as failure:
            print(failure, file=sys.stderr)
            return failure.status
        except OSError as err:
            print(f"fastjwt jwks: cannot write {args.out}: {err.strerror}", file=sys.stderr)
            return 1
    else:
        print(text)
    return 0


def add_parsers(commands: Any) -> None:
    """Register ``keygen`` and ``jwks`` on the ``fastjwt`` sub-command parser."""
    keygen = commands.add_parser(
        "keygen", help="generate a signing key (private PEM, public PEM, JWK, JWKS)",
        description="Generate a signing key into a directory. Private files are written with mode 0600.",
    )
    keygen.add_argument("--alg", required=True, choices=KEYGEN_ALGORITHMS, help="the algorithm the key is for")
    keygen.add_argument("--kid", help="key id (default: the RFC 7638 thumbprint)")
    keygen.add_argument("--out", required=True, metavar="DIR", help="directory to write to (created 0700)")
    keygen.add_argument("--bits", type=int, help="RSA modulus size for RS256 (default 3072)")
    keygen.add_argument("--force", action="store_true", help="replace existing files")
    keygen.add_argument("--json", action="store_true", help="print the kid and file paths as JSON")
    keygen.set_defaults(run=_keygen)

    jwks = commands.add_parser(
        "jwks", help="a JWK Set from public keys in PEM files",
        description="Print a JWK Set (RFC 7517) of the public keys in PEM files (public keys, certificates or "
                    "private keys, of which only the public part is used); kid = RFC 7638 thumbprint.",
    )
    jwks.add_argument("pem", nargs="+", metavar="PEM", help="a PEM file")
    jwks.add_argument("--alg", help="bind every key to this algorithm (default: from the key type; none for RSA)")
    jwks.add_argument("--out", metavar="FILE", help="write the JWKS to FILE instead of stdout")
    jwks.add_argument("--force", action="store_true", help="replace FILE if it exists")
    jwks.set_defaults(run=_jwks)
