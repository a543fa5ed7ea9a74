"""Command line: ``fastjwt verify``, ``inspect``, ``encode``, ``keygen``, ``jwks``, ``bench``, ``demo``.

``inspect`` prints the header and claims WITHOUT verifying anything (and says
so), with warnings about risky tokens. ``verify`` validates like
:class:`fastjwt.Validator` (one key, or a JWKS file or URL with the key chosen
by ``kid``) and prints the claims, or the reason for rejection, with exit
status 0 (valid), 1 (rejected) or 2 (usage or key error). Token and key are
read from arguments, files or stdin (``-``); neither is ever echoed in an
error message. ``keygen``/``jwks`` live in :mod:`fastjwt._cli_keys`, ``bench``
in :mod:`fastjwt._cli_bench`, ``demo`` in :mod:`fastjwt.demo.run` (imported
only when run: it needs grpc).
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import time
from typing import Any, Dict, List, NoReturn, Optional, Sequence

from ._safe_text import describe, printable
from ._version import __version__
from .api_jwt import decode_complete, encode
from .exceptions import InvalidKeyError, InvalidTokenError, PyJWTError
from .validator import Validator

__all__ = ["main"]

_TIME_CLAIMS = ("exp", "nbf", "iat")


def _read(value: str, stdin_used: List[bool]) -> bytes:
    """A literal, ``@path`` for a file's contents, or ``-`` for stdin (once)."""
    if value == "-":
        if stdin_used:
            _usage_error("only one argument can be read from stdin")
        stdin_used.append(True)
        return sys.stdin.buffer.read().strip()
    if value.startswith("@"):
        try:
            with open(value[1:], "rb") as handle:
                return handle.read()
        except OSError as err:
            _usage_error(f"cannot read {value[1:]}: {err.strerror}")
    return value.encode("utf-8")


def _usage_error(message: str) -> NoReturn:
    """Exit with status 2, as argparse does for usage errors."""
    print(f"fastjwt: {message}", file=sys.stderr)
    raise SystemExit(2)


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


def _number(value: Any) -> Optional[float]:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def inspect_warnings(header: Dict[str, Any], claims: Dict[str, Any], now: float) -> List[str]:
    """What ``inspect`` warns about: an unsigned (``alg: none``), expired,
    not-yet-valid or never-expiring token, ``jku``/``x5u`` headers, a lifetime over a day."""
    warnings: List[str] = []
    alg = header.get("alg")
    if isinstance(alg, str) and alg.lower() == "none":
        warnings.append("alg is none: the token is unsigned; no verifier may accept it")
    for name in ("jku", "x5u"):
        if name in header:
            warnings.append(f"header has {name}: a verifier must never fetch keys from a URL the token names")
    exp, iat, nbf = (_number(claims.get(name)) for name in ("exp", "iat", "nbf"))
    if exp is None:
        warnings.append("no exp claim: the token never expires")
    elif exp <= now:
        warnings.append(f"expired {_duration(now - exp)} ago")
    if nbf is not None and nbf > now:
        warnings.append(f"not valid for another {_duration(nbf - now)} (nbf)")
    start = iat if iat is not None else nbf
    if exp is not None and start is not None and exp - start > 86400:
        warnings.append(f"lifetime over a day: {_duration(exp - start)} from {'iat' if iat is not None else 'nbf'} "
                        "to exp")
    elif exp is not None and start is None and exp - now > 86400:
        warnings.append(f"lifetime over a day: expires in {_duration(exp - now)}")
    return warnings


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}".replace(".0 ", " ")
    return f"{seconds} s"


def _inspect(args: argparse.Namespace) -> int:
    stdin_used: List[bool] = []
    token = _read(args.token, stdin_used).strip()
    try:
        decoded = decode_complete(token, options={"verify_signature": False})
    except InvalidTokenError as err:
        print(f"malformed: {_reason(err)}", file=sys.stderr)
        return 1
    warnings = inspect_warnings(decoded["header"], decoded["payload"], time.time())
    _print_json({"header": decoded["header"], "claims": decoded["payload"],
                 "times": _describe_times(decoded["payload"]), "warnings": warnings})
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print("NOT VERIFIED: the signature and claims were not checked.", file=sys.stderr)
    return 0


def _jwks_keys(source: str) -> Any:
    """A JWKS file (a path, or @path) as a KeySet, or a JWKS URL as a JWKSClient (fetched now)."""
    from .keys import KeySet

    if source.startswith(("https://", "http://")):
        from .jwks_client import JWKSClient

        try:
            client = JWKSClient(source, background=False, timeout=10.0)
        except (PyJWTError, ValueError) as err:
            _usage_error(f"unusable JWKS URL: {err}")
        try:
            client.key_set()  # fetch now: an unreachable endpoint is a key error, not a rejected token
        except PyJWTError as err:
            print(f"fastjwt: cannot load the JWKS: {type(err).__name__}: {err}", file=sys.stderr)
            raise SystemExit(2) from None
        return client
    path = source[1:] if source.startswith("@") else source
    try:
        with open(path, "rb") as handle:
            document = handle.read(1 << 20)
    except OSError as err:
        _usage_error(f"cannot read {path}: {err.strerror}")
    try:
        return KeySet.from_jwks(document)
    except (PyJWTError, ValueError, TypeError) as err:
        print(f"fastjwt: unusable JWKS: {type(err).__name__}: {err}", file=sys.stderr)
        raise SystemExit(2) from None


def _verify(args: argparse.Namespace) -> int:
    stdin_used: List[bool] = []
    token = _read(args.token, stdin_used).strip()
    material: Dict[str, Any]
    if args.jwks is not None:
        material = {"keys": _jwks_keys(args.jwks)}
    else:
        key: Any = _read(args.key, stdin_used)
        if args.key.startswith("@") or args.key == "-":
            # A key file usually ends with a newline that is not part of an HMAC secret.
            key = key if b"-----BEGIN" in key else key.rstrip(b"\r\n")
        material = {"key": key}
    try:
        validator = Validator(
            **material,
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
        if args.json:
            _print_json({"valid": False, "error": type(err).__name__, "message": printable(str(err), limit=1000)})
            return 1
        print(f"rejected: {_reason(err)}")
        return 1
    if args.quiet:
        return 0
    signature = decoded.pop("signature")
    decoded["signature_bytes"] = len(signature)
    decoded["times"] = _describe_times(decoded["payload"])
    if args.json:
        _print_json({"valid": True, **decoded})
        return 0
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
        print(encode(claims, key, algorithm=args.algorithm, headers=headers))
    except (PyJWTError, TypeError, ValueError, NotImplementedError) as err:
        print(f"fastjwt: cannot sign: {_reason(err)}", file=sys.stderr)
        return 2
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fastjwt", description="Validate, inspect and sign JSON Web Tokens; "
                                     "make keys; run the gRPC demo.")
    parser.add_argument("--version", action="version", version=f"fastjwt {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    inspect = commands.add_parser("inspect", help="print header and claims without verifying")
    inspect.add_argument("token", help="the token, @file, or - for stdin")
    inspect.set_defaults(run=_inspect)

    verify = commands.add_parser("verify", help="verify signature and claims")
    verify.add_argument("token", help="the token, @file, or - for stdin")
    key_source = verify.add_mutually_exclusive_group(required=True)
    key_source.add_argument("--key", help="HMAC secret, or @file with a PEM/DER/SSH key, or -")
    key_source.add_argument("--jwks", metavar="URL|FILE",
                            help="a JWK Set file or URL (https, or http on loopback); the token's kid picks the key")
    verify.add_argument("--alg", dest="algorithms", action="append", required=True,
                        help="an allowed algorithm (repeat for several)")
    verify.add_argument("--aud", dest="audience", action="append", default=[], help="accepted audience (repeatable)")
    verify.add_argument("--iss", dest="issuer", help="expected issuer")
    verify.add_argument("--leeway", type=float, default=0.0, help="clock skew allowance in seconds")
    verify.add_argument("--require", action="append", default=[], help="a claim that must be present (repeatable)")
    verify.add_argument("--typ", help='expected typ header, e.g. "at+jwt"')
    verify.add_argument("--max-age", type=float, help="maximum age from iat, in seconds")
    verify.add_argument("-q", "--quiet", action="store_true", help="print nothing when valid")
    verify.add_argument("--json", action="store_true",
                        help='one JSON object: {"valid": true, "header", "payload", ...} or {"valid": false, "error", '
                             '"message"}')
    verify.set_defaults(run=_verify)

    encode = commands.add_parser("encode", help="sign a JSON object of claims")
    encode.add_argument("claims", help="the claims as JSON, @file, or - for stdin")
    encode.add_argument("--key", required=True, help="HMAC secret, or @file with a PEM private key, or -")
    encode.add_argument("--alg", dest="algorithm", default="HS256", help="signing algorithm (default HS256)")
    encode.add_argument("--kid", help="key id to put in the header")
    encode.set_defaults(run=_encode)

    from . import _cli_bench, _cli_keys

    _cli_keys.add_parsers(commands)
    _cli_bench.add_parser(commands)

    demo = commands.add_parser(
        "demo", help="a secure gRPC + JWT flow, live on 127.0.0.1 (needs the grpc extra)",
        description="Start a token service, a gRPC service behind fastjwt's interceptor (TLS, scopes from its "
                    ".proto options) and a client with refreshing call credentials, all on 127.0.0.1; walk "
                    "through the security checks and a short load phase. Exit status 0 when every step "
                    "behaved as expected, 1 naming the steps that did not.",
    )
    demo.add_argument("--duration", type=_seconds, default=3.0, help="seconds of load at the end (default 3; 0 skips)")
    demo.add_argument("--no-color", action="store_true", help="no colours (default: colours on a terminal)")
    demo.add_argument("--json", action="store_true", help="the step results as JSON on stdout (the log on stderr)")
    demo.add_argument("--serve", action="store_true",
                      help="start the services, print one JSON line describing them on stdout, serve until "
                           "Ctrl-C or SIGTERM")
    demo.set_defaults(run=_demo)
    return parser


def _seconds(text: str) -> float:
    """A duration option: 0 to 600 seconds."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= value <= 600:
        raise argparse.ArgumentTypeError("must be between 0 and 600 seconds")
    return value


def _demo(args: argparse.Namespace) -> int:
    # grpc is imported only here: the other commands work without the grpc extra.
    try:
        from .demo.run import run_demo
    except ImportError as err:
        print(f"fastjwt demo needs the grpc extra (pip install 'fastjwt-validator[grpc]'): {err}", file=sys.stderr)
        return 2
    return run_demo(duration=args.duration, color=False if args.no_color else None, as_json=args.json,
                    serve=args.serve)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the ``fastjwt`` command and ``python -m fastjwt``."""
    args = _parser().parse_args(argv)
    return int(args.run(args))
