"""Command line: ``fastjwt verify``, ``fastjwt inspect`` and ``fastjwt encode``.

``inspect`` prints the header and claims WITHOUT verifying anything (and says
so). ``verify`` validates like :class:`fastjwt.Validator` and prints the
claims, or the reason for rejection, with exit status 0 (valid), 1 (rejected)
or 2 (usage or key error). Token and key are read from arguments, files or
stdin (``-``); neither is ever echoed in an error message.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from typing import Any, Dict, List, Optional, Sequence

from . import __version__
from ._safe_text import describe, printable
from .api_jwt import _jwt_global_obj
from .exceptions import InvalidKeyError, InvalidTokenError, PyJWTError
from .validator import Validator

__all__ = ["main"]

_TIME_CLAIMS = ("exp", "nbf", "iat")


def _read(value: str, stdin_used: List[bool]) -> bytes:
    """A literal, ``@path`` for a file's contents, or ``-`` for stdin (once)."""
    if value == "-":
        if stdin_used:
            raise SystemExit("fastjwt: only one argument can be read from stdin")
        stdin_used.append(True)
        return sys.stdin.buffer.read().strip()
    if value.startswith("@"):
        with open(value[1:], "rb") as handle:
            return handle.read()
    return value.encode("utf-8")


def _describe_times(claims: Dict[str, Any]) -> Dict[str, str]:
    """Human-readable UTC times for exp/nbf/iat, where they are numbers."""
    out = {}
    for name in _TIME_CLAIMS:
        value = claims.get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            try:
                stamp = datetime.datetime.fromtimestamp(value, tz=datetime.timezone.utc)
            except (OverflowError, OSError, ValueError):
                continue
            out[name] = stamp.isoformat()
    return out


def _reason(err: BaseException) -> str:
    """An error for the terminal: messages may quote token data, so nothing
    non-printable (an escape sequence retitling the terminal) is printed raw."""
    return f"{type(err).__name__}: {printable(str(err), limit=1000)}"


def _print_json(obj: Any) -> None:
    # ensure_ascii (the default) escapes every control character of token data.
    print(json.dumps(obj, indent=2, sort_keys=True, default=describe))


def _inspect(args: argparse.Namespace) -> int:
    stdin_used: List[bool] = []
    token = _read(args.token, stdin_used).strip()
    try:
        decoded = _jwt_global_obj.decode_complete(token, options={"verify_signature": False})
    except InvalidTokenError as err:
        print(f"malformed: {_reason(err)}", file=sys.stderr)
        return 1
    _print_json({"header": decoded["header"], "claims": decoded["payload"], "times": _describe_times(decoded["payload"])})
    print("NOT VERIFIED: the signature and claims were not checked.", file=sys.stderr)
    return 0


def _verify(args: argparse.Namespace) -> int:
    stdin_used: List[bool] = []
    token = _read(args.token, stdin_used).strip()
    key: Any = _read(args.key, stdin_used)
    if args.key.startswith("@") or args.key == "-":
        # A key file usually ends with a newline that is not part of an HMAC secret.
        key = key if b"-----BEGIN" in key else key.rstrip(b"\r\n")
    try:
        validator = Validator(
            key,
            algorithms=args.algorithms,
            audience=args.audience or None,
            issuer=args.issuer,
            leeway=args.leeway,
            require=args.require,
            typ=args.typ,
            max_age=args.max_age,
        )
    except (InvalidKeyError, ValueError, TypeError) as err:
        print(f"fastjwt: unusable key or options: {_reason(err)}", file=sys.stderr)
        return 2
    try:
        decoded = validator.decode_complete(token)
    except PyJWTError as err:
        print(f"rejected: {_reason(err)}")
        return 1
    if args.quiet:
        return 0
    signature = decoded.pop("signature")
    decoded["signature_bytes"] = len(signature)
    decoded["times"] = _describe_times(decoded["payload"])
    _print_json(decoded)
    print("valid")
    return 0


def _encode(args: argparse.Namespace) -> int:
    stdin_used: List[bool] = []
    try:
        claims = json.loads(_read(args.claims, stdin_used))
    except ValueError as err:
        print(f"fastjwt: claims are not JSON: {printable(str(err), limit=1000)}", file=sys.stderr)
        return 2
    key = _read(args.key, stdin_used)
    headers = {"kid": args.kid} if args.kid else None
    try:
        print(_jwt_global_obj.encode(claims, key, algorithm=args.algorithm, headers=headers))
    except (PyJWTError, TypeError, ValueError, NotImplementedError) as err:
        print(f"fastjwt: cannot sign: {_reason(err)}", file=sys.stderr)
        return 2
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fastjwt", description="Validate or inspect JSON Web Tokens.")
    parser.add_argument("--version", action="version", version=f"fastjwt {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    inspect = commands.add_parser("inspect", help="print header and claims without verifying")
    inspect.add_argument("token", help="the token, @file, or - for stdin")
    inspect.set_defaults(run=_inspect)

    verify = commands.add_parser("verify", help="verify signature and claims")
    verify.add_argument("token", help="the token, @file, or - for stdin")
    verify.add_argument("--key", required=True, help="HMAC secret, or @file with a PEM/DER/SSH key, or -")
    verify.add_argument("--alg", dest="algorithms", action="append", required=True,
                        help="an allowed algorithm (repeat for several)")
    verify.add_argument("--aud", dest="audience", action="append", default=[], help="accepted audience (repeatable)")
    verify.add_argument("--iss", dest="issuer", help="expected issuer")
    verify.add_argument("--leeway", type=float, default=0.0, help="clock skew allowance in seconds")
    verify.add_argument("--require", action="append", default=[], help="a claim that must be present (repeatable)")
    verify.add_argument("--typ", help='expected typ header, e.g. "at+jwt"')
    verify.add_argument("--max-age", type=float, help="maximum age from iat, in seconds")
    verify.add_argument("-q", "--quiet", action="store_true", help="print nothing when valid")
    verify.set_defaults(run=_verify)

    encode = commands.add_parser("encode", help="sign a JSON object of claims")
    encode.add_argument("claims", help="the claims as JSON, @file, or - for stdin")
    encode.add_argument("--key", required=True, help="HMAC secret, or @file with a PEM private key, or -")
    encode.add_argument("--alg", dest="algorithm", default="HS256", help="signing algorithm (default HS256)")
    encode.add_argument("--kid", help="key id to put in the header")
    encode.set_defaults(run=_encode)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the ``fastjwt`` command and ``python -m fastjwt``."""
    args = _parser().parse_args(argv)
    return int(args.run(args))
