"""The algorithm table: every JWS algorithm fastjwt signs and verifies.

Each algorithm turns a user-supplied key into a prepared key (rejecting keys
of the wrong family: this is where algorithm confusion is stopped), and a
prepared key into a ``verifier(signing_input, signature) -> bool`` closure
with every per-call constant (hash, padding, HMAC context) built once.
The classes keep PyJWT's names and methods for code that uses them directly.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from typing import Any, Callable, ClassVar, Dict, Optional, Tuple, Type, Union

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.ec import (
    ECDSA,
    SECP256K1,
    SECP256R1,
    SECP384R1,
    SECP521R1,
    EllipticCurve,
    EllipticCurvePrivateKey,
    EllipticCurvePublicKey,
)
from cryptography.hazmat.primitives.asymmetric.ed448 import Ed448PrivateKey, Ed448PublicKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from cryptography.hazmat.primitives.serialization import (
    load_der_private_key,
    load_der_public_key,
    load_pem_private_key,
    load_pem_public_key,
    load_ssh_private_key,
    load_ssh_public_identity,
    load_ssh_public_key,
)

from ._core import der_signature
from .exceptions import InvalidKeyError
from .utils import der_to_raw_signature, force_bytes, is_pem_format, is_ssh_key

__all__ = [
    "Algorithm",
    "NoneAlgorithm",
    "HMACAlgorithm",
    "RSAAlgorithm",
    "RSAPSSAlgorithm",
    "ECAlgorithm",
    "OKPAlgorithm",
    "AllowedPrivateKeys",
    "AllowedPublicKeys",
    "Verifier",
    "get_default_algorithms",
    "has_crypto",
    "requires_cryptography",
]

AllowedRSAKeys = Union[RSAPrivateKey, RSAPublicKey]
AllowedECKeys = Union[EllipticCurvePrivateKey, EllipticCurvePublicKey]
AllowedOKPKeys = Union[Ed25519PrivateKey, Ed25519PublicKey, Ed448PrivateKey, Ed448PublicKey]
AllowedPrivateKeys = Union[RSAPrivateKey, EllipticCurvePrivateKey, Ed25519PrivateKey, Ed448PrivateKey]
AllowedPublicKeys = Union[RSAPublicKey, EllipticCurvePublicKey, Ed25519PublicKey, Ed448PublicKey]
Verifier = Callable[[bytes, bytes], bool]

# cryptography is a hard dependency; these names exist for PyJWT users.
has_crypto = True
requires_cryptography = {
    "RS256", "RS384", "RS512", "ES256", "ES256K", "ES384", "ES521", "ES512",
    "PS256", "PS384", "PS512", "EdDSA",
}


class _KeyTypeError(InvalidKeyError, TypeError):
    """A key of the wrong Python type. PyJWT raises a bare TypeError here;
    deriving from both keeps ``except TypeError`` and ``except InvalidKeyError``
    working."""


class _KeyValueError(InvalidKeyError, ValueError):
    """A key text cryptography could not load (PyJWT leaks a ValueError)."""


class Algorithm(ABC):
    """One JWS ``alg``: key preparation, signing and verification."""

    #: The key classes this algorithm accepts, for :meth:`check_crypto_key_type`.
    _crypto_key_types: ClassVar[Optional[Tuple[type, ...]]] = None

    def compute_hash_digest(self, bytestr: bytes) -> bytes:
        """Digest of ``bytestr`` with this algorithm's hash (used for ``at_hash``)."""
        hash_alg = getattr(self, "hash_alg", None)
        if hash_alg is None:
            raise NotImplementedError
        if isinstance(hash_alg, type) and issubclass(hash_alg, hashes.HashAlgorithm):
            digest = hashes.Hash(hash_alg())
            digest.update(bytestr)
            return bytes(digest.finalize())
        return bytes(hash_alg(bytestr).digest())

    def check_crypto_key_type(self, key: Any) -> None:
        """Raise InvalidKeyError unless ``key`` belongs to this algorithm's family."""
        if self._crypto_key_types is None:
            raise ValueError(
                "This method requires the cryptography library, and should only be used "
                "by cryptography-based algorithms."
            )
        if not isinstance(key, self._crypto_key_types):
            valid = tuple(cls.__name__ for cls in self._crypto_key_types)
            raise InvalidKeyError(
                f"Expected one of {valid}, got: {key.__class__.__name__}. "
                f"Invalid Key type for {self.__class__.__name__}"
            )

    @abstractmethod
    def prepare_key(self, key: Any) -> Any:
        """Validate ``key`` for this algorithm and return it in usable form."""

    @abstractmethod
    def sign(self, msg: bytes, key: Any) -> bytes:
        """Sign ``msg`` with a prepared key."""

    @abstractmethod
    def verify(self, msg: bytes, key: Any, sig: bytes) -> bool:
        """True if ``sig`` is a valid signature of ``msg`` under a prepared key."""

    def verifier(self, key: Any) -> Verifier:
        """A ``(msg, sig) -> bool`` closure over a prepared key.

        Subclasses override this to build per-call constants once.
        """
        verify = self.verify
        return lambda msg, sig: verify(msg, key, sig)

    def check_key_length(self, key: Any) -> Optional[str]:
        """A warning text if the prepared key is shorter than recommended."""
        return None

    @staticmethod
    def to_jwk(key_obj: Any, as_dict: bool = False) -> Any:
        """Serialise a key as a JWK (dict or JSON text)."""
        raise NotImplementedError

    @staticmethod
    def from_jwk(jwk: Any) -> Any:
        """Load a key from a JWK (dict or JSON text)."""
        raise NotImplementedError


class NoneAlgorithm(Algorithm):
    """``alg: none``: can encode an unsecured token, never verifies one."""

    def prepare_key(self, key: Optional[str]) -> None:
        if key == "":
            key = None
        if key is not None:
            raise InvalidKeyError('When alg = "none", key value must be None.')
        return key

    def sign(self, msg: bytes, key: None) -> bytes:
        return b""

    def verify(self, msg: bytes, key: None, sig: bytes) -> bool:
        # RFC 8725 3.2: an unsecured token is never "verified".
        return False

    @staticmethod
    def to_jwk(key_obj: Any, as_dict: bool = False) -> Any:
        raise NotImplementedError()

    @staticmethod
    def from_jwk(jwk: Any) -> Any:
        raise NotImplementedError()


_JWK_MESSAGE = (
    "The specified key looks like a JWK and should not be used directly as an HMAC "
    "secret. Load it via PyJWK / HMACAlgorithm.from_jwk first."
)
_ASYMMETRIC_MESSAGE = (
    "The specified key is an asymmetric key or x509 certificate and should not be used "
    "as an HMAC secret."
)


def _loads_as_asymmetric_key(data: bytes) -> bool:
    """True if any of cryptography's asymmetric loaders accepts ``data``.

    The class of bug, not its instances: whatever bytes an RSA, EC or EdDSA
    algorithm could load (every loader in :data:`_ASYMMETRIC_PROBES`, a
    superset of :func:`_load_text_key`'s), an HMAC algorithm refuses. An
    encrypted private key (a TypeError: the password is missing) is key
    material too. Each loader is tried only when its format's necessary
    start is there (DER: a SEQUENCE byte; PEM: a BEGIN line; SSH: a key type
    name), so an ordinary secret costs a few byte comparisons.
    """
    for candidate in {data, data.strip()}:
        for form, load in _ASYMMETRIC_PROBES:
            if not _MAY_BE[form](candidate):
                continue
            try:
                load(candidate)
            except TypeError:
                return True  # an encrypted private key
            except (ValueError, UnsupportedAlgorithm):
                continue
            return True
    return False


#: A necessary condition for each format's loaders to accept bytes: DER is a
#: SEQUENCE; cryptography's PEM parser looks for "-----BEGIN"; an OpenSSH key
#: line starts with its type (ssh-*, ecdsa-*, sk-*, certificates included).
_MAY_BE: Dict[str, Callable[[bytes], bool]] = {
    "der": lambda data: data[:1] == b"\x30",
    "pem": lambda data: b"-----BEGIN" in data,
    "ssh": lambda data: data.startswith((b"ssh-", b"ecdsa-", b"sk-")),
}


def _contains_kty(obj: Any) -> bool:
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "kty" in item:
                return True
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _looks_like_jwk(key: bytes) -> bool:
    """True if ``key`` is JSON (in any encoding json accepts) holding a ``kty``.

    Runs once per prepared key, so it parses rather than searching bytes
    (a member name can be written with escapes, e.g. ``"k\\u0074y"``).
    """
    try:
        return _contains_kty(json.loads(key, parse_int=lambda _: 0))
    except RecursionError:
        # JSON too deep to inspect is never a plausible secret: refuse it.
        return True
    except ValueError:
        return False


class HMACAlgorithm(Algorithm):
    """HS256, HS384, HS512."""

    SHA256: ClassVar[Any] = hashlib.sha256
    SHA384: ClassVar[Any] = hashlib.sha384
    SHA512: ClassVar[Any] = hashlib.sha512
    _CRYPTO_HASHES: ClassVar[Dict[str, type]] = {
        "sha256": hashes.SHA256,
        "sha384": hashes.SHA384,
        "sha512": hashes.SHA512,
    }

    def __init__(self, hash_alg: Any) -> None:
        self.hash_alg = hash_alg
        self._hash_name: str = hash_alg().name
        self._crypto_hash = self._CRYPTO_HASHES[self._hash_name]()
        self._digest_size: int = hash_alg().digest_size

    def prepare_key(self, key: Union[str, bytes]) -> bytes:
        if not isinstance(key, (str, bytes)):
            raise _KeyTypeError("Expected a string or bytes value")
        key_bytes = force_bytes(key)
        if not key_bytes:
            raise InvalidKeyError("HMAC key must not be empty.")
        # Algorithm confusion (RFC 8725 2.1): an attacker who sets alg=HS*
        # must not get a public key used as the shared secret. DER held in a
        # str (bytes decoded as latin-1) is still DER to the attacker.
        # The armour check refuses a PEM block of any label, even one no
        # loader reads; the loaders refuse whatever an asymmetric algorithm
        # would accept, in whatever form.
        der = key.encode("latin-1", "ignore") if isinstance(key, str) else key_bytes
        if (is_pem_format(key_bytes) or is_ssh_key(key_bytes) or _loads_as_asymmetric_key(key_bytes)
                or (der != key_bytes and _loads_as_asymmetric_key(der))):
            raise InvalidKeyError(_ASYMMETRIC_MESSAGE)
        if _looks_like_jwk(key_bytes):
            raise InvalidKeyError(_JWK_MESSAGE)
        return key_bytes

    def check_key_length(self, key: bytes) -> Optional[str]:
        if len(key) < self._digest_size:
            return (
                f"The HMAC key is {len(key)} bytes long, which is below the minimum "
                f"recommended length of {self._digest_size} bytes for "
                f"{self._hash_name.upper()}. See RFC 7518 Section 3.2."
            )
        return None

    def sign(self, msg: bytes, key: bytes) -> bytes:
        mac = crypto_hmac.HMAC(key, self._crypto_hash)
        mac.update(msg)
        return mac.finalize()

    def verify(self, msg: bytes, key: bytes, sig: bytes) -> bool:
        return self.verifier(key)(msg, sig)

    def verifier(self, key: bytes) -> Verifier:
        # Copying a keyed context skips the key schedule on every call.
        keyed = crypto_hmac.HMAC(key, self._crypto_hash)

        def verify(msg: bytes, sig: bytes) -> bool:
            mac = keyed.copy()
            mac.update(msg)
            try:
                mac.verify(sig)  # constant time
            except InvalidSignature:
                return False
            return True

        return verify

    @staticmethod
    def to_jwk(key_obj: Union[str, bytes], as_dict: bool = False) -> Any:
        from .jwk import hmac_to_jwk

        return hmac_to_jwk(key_obj, as_dict=as_dict)

    @staticmethod
    def from_jwk(jwk: Any) -> bytes:
        from .jwk import hmac_from_jwk

        return hmac_from_jwk(jwk)


def _first_loadable(key_bytes: bytes, loaders: Tuple[Callable[[bytes], Any], ...]) -> Any:
    """The key from the first loader that accepts ``key_bytes``; the last one's error otherwise."""
    for load in loaders[:-1]:
        try:
            return load(key_bytes)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            continue
    return loaders[-1](key_bytes)


_DER_LOADERS: Tuple[Callable[[bytes], Any], ...] = (
    load_der_public_key,
    lambda data: x509.load_der_x509_certificate(data).public_key(),
    lambda data: load_der_private_key(data, password=None),
)
_PEM_LOADERS: Tuple[Callable[[bytes], Any], ...] = (
    load_pem_public_key,
    lambda data: x509.load_pem_x509_certificate(data).public_key(),
    lambda data: load_pem_private_key(data, password=None),
)


#: Every asymmetric loader of cryptography (public and private keys, X.509
#: certificates, OpenSSH keys and certificates, in PEM, DER and SSH forms):
#: bytes any of them accepts are never an HMAC secret.
_ASYMMETRIC_PROBES: Tuple[Tuple[str, Callable[[bytes], Any]], ...] = (
    ("der", load_der_public_key),
    ("der", x509.load_der_x509_certificate),
    ("der", lambda data: load_der_private_key(data, password=None)),
    ("pem", load_pem_public_key),
    ("pem", x509.load_pem_x509_certificate),
    ("pem", lambda data: load_pem_private_key(data, password=None)),
    ("pem", lambda data: load_ssh_private_key(data, password=None)),
    ("ssh", load_ssh_public_key),
    ("ssh", load_ssh_public_identity),
)


def _load_text_key(key_bytes: bytes, ssh_prefixes: Tuple[bytes, ...]) -> Any:
    """Load an SSH public key line, or PEM or DER (public key, certificate, private key)."""
    if key_bytes.startswith(ssh_prefixes):
        return load_ssh_public_key(key_bytes)
    if key_bytes[:1] == b"\x30":  # a DER SEQUENCE
        return _first_loadable(key_bytes, _DER_LOADERS)
    return _first_loadable(key_bytes, _PEM_LOADERS)


class _AsymmetricAlgorithm(Algorithm):
    """Shared key handling of the RSA, EC and EdDSA families."""

    _ssh_prefixes: ClassVar[Tuple[bytes, ...]] = ()

    def prepare_key(self, key: Any) -> Any:
        assert self._crypto_key_types is not None
        if isinstance(key, x509.Certificate):
            key = key.public_key()
        if not isinstance(key, self._crypto_key_types):
            if not isinstance(key, (bytes, str)):
                raise _KeyTypeError("Expecting a PEM-formatted key.")
            try:
                key = _load_text_key(force_bytes(key), self._ssh_prefixes)
            except (ValueError, TypeError, UnsupportedAlgorithm):
                raise _KeyValueError("Could not parse the provided public key.") from None
            self.check_crypto_key_type(key)
        self._check_key(key)
        return key

    def _check_key(self, key: Any) -> None:
        """Family-specific checks on a key of the right class (e.g. the curve)."""

    @staticmethod
    def _public(key: Any) -> Any:
        return key.public_key() if hasattr(key, "private_bytes") else key


#: The largest RSA public exponent a key may have. Verification costs grow with
#: the exponent's size (a 3071-bit one made each forged token 60 times dearer);
#: real keys use 65537, and common verifiers refuse anything above 2**32.
MAX_RSA_PUBLIC_EXPONENT = 2**32
RSA_EXPONENT_MESSAGE = "Invalid RSA public key: the public exponent is larger than 2**32"


class RSAAlgorithm(_AsymmetricAlgorithm):
    """RS256, RS384, RS512 (RSASSA-PKCS1-v1_5)."""

    SHA256: ClassVar[type] = hashes.SHA256
    SHA384: ClassVar[type] = hashes.SHA384
    SHA512: ClassVar[type] = hashes.SHA512
    _MIN_KEY_SIZE: ClassVar[int] = 2048
    _crypto_key_types = (RSAPrivateKey, RSAPublicKey)
    _ssh_prefixes = (b"ssh-rsa",)

    def __init__(self, hash_alg: type) -> None:
        self.hash_alg = hash_alg

    def _padding(self) -> padding.AsymmetricPadding:
        return padding.PKCS1v15()

    def _check_key(self, key: AllowedRSAKeys) -> None:
        # Every way a key arrives (PEM, DER, SSH, certificate, key object, JWK) ends here.
        if self._public(key).public_numbers().e > MAX_RSA_PUBLIC_EXPONENT:
            raise InvalidKeyError(RSA_EXPONENT_MESSAGE)

    def check_key_length(self, key: AllowedRSAKeys) -> Optional[str]:
        if key.key_size < self._MIN_KEY_SIZE:
            return (
                f"The RSA key is {key.key_size} bits long, which is below the minimum "
                f"recommended size of {self._MIN_KEY_SIZE} bits. See NIST SP 800-131A."
            )
        return None

    def sign(self, msg: bytes, key: RSAPrivateKey) -> bytes:
        return key.sign(msg, self._padding(), self.hash_alg())

    def verify(self, msg: bytes, key: AllowedRSAKeys, sig: bytes) -> bool:
        return self.verifier(key)(msg, sig)

    def verifier(self, key: AllowedRSAKeys) -> Verifier:
        public = self._public(key).verify
        pad = self._padding()
        hash_obj = self.hash_alg()

        def verify(msg: bytes, sig: bytes) -> bool:
            try:
                public(sig, msg, pad, hash_obj)
            except InvalidSignature:
                return False
            return True

        return verify

    @staticmethod
    def to_jwk(key_obj: AllowedRSAKeys, as_dict: bool = False) -> Any:
        from .jwk import rsa_to_jwk

        return rsa_to_jwk(key_obj, as_dict=as_dict)

    @staticmethod
    def from_jwk(jwk: Any) -> AllowedRSAKeys:
        from .jwk import rsa_from_jwk

        return rsa_from_jwk(jwk)


class RSAPSSAlgorithm(RSAAlgorithm):
    """PS256, PS384, PS512 (RSASSA-PSS, MGF1 with the same hash, salt = digest size)."""

    def _padding(self) -> padding.AsymmetricPadding:
        return padding.PSS(mgf=padding.MGF1(self.hash_alg()), salt_length=self.hash_alg().digest_size)


class ECAlgorithm(_AsymmetricAlgorithm):
    """ES256, ES256K, ES384, ES512 (ECDSA; JWS raw ``r || s`` signatures)."""

    SHA256: ClassVar[type] = hashes.SHA256
    SHA384: ClassVar[type] = hashes.SHA384
    SHA512: ClassVar[type] = hashes.SHA512
    _crypto_key_types = (EllipticCurvePrivateKey, EllipticCurvePublicKey)
    _ssh_prefixes = (b"ecdsa-sha2-",)

    def __init__(self, hash_alg: type, expected_curve: Optional[Type[EllipticCurve]] = None) -> None:
        self.hash_alg = hash_alg
        self.expected_curve = expected_curve

    def _check_key(self, key: AllowedECKeys) -> None:
        if self.expected_curve is not None and not isinstance(key.curve, self.expected_curve):
            raise InvalidKeyError(
                f"The key's curve '{key.curve.name}' does not match the expected curve "
                f"'{self.expected_curve.name}' for this algorithm"
            )

    def sign(self, msg: bytes, key: EllipticCurvePrivateKey) -> bytes:
        return der_to_raw_signature(key.sign(msg, ECDSA(self.hash_alg())), key.curve)

    def verify(self, msg: bytes, key: AllowedECKeys, sig: bytes) -> bool:
        return self.verifier(key)(msg, sig)

    def verifier(self, key: AllowedECKeys) -> Verifier:
        public = self._public(key)
        public_verify = public.verify
        scheme = ECDSA(self.hash_alg())
        size = (public.curve.key_size + 7) // 8

        def verify(msg: bytes, sig: bytes) -> bool:
            if len(sig) != 2 * size:
                return False
            try:
                public_verify(der_signature(sig), msg, scheme)
            except InvalidSignature:
                return False
            return True

        return verify

    @staticmethod
    def to_jwk(key_obj: AllowedECKeys, as_dict: bool = False) -> Any:
        from .jwk import ec_to_jwk

        return ec_to_jwk(key_obj, as_dict=as_dict)

    @staticmethod
    def from_jwk(jwk: Any) -> AllowedECKeys:
        from .jwk import ec_from_jwk

        return ec_from_jwk(jwk)


class OKPAlgorithm(_AsymmetricAlgorithm):
    """EdDSA with Ed25519 or Ed448 keys."""

    _crypto_key_types = (Ed25519PrivateKey, Ed25519PublicKey, Ed448PrivateKey, Ed448PublicKey)
    _ssh_prefixes = (b"ssh-ed25519", b"ssh-ed448")

    def __init__(self, **kwargs: Any) -> None:
        pass

    def sign(self, msg: Union[str, bytes], key: Union[Ed25519PrivateKey, Ed448PrivateKey]) -> bytes:
        return key.sign(force_bytes(msg))

    def verify(self, msg: Union[str, bytes], key: AllowedOKPKeys, sig: Union[str, bytes]) -> bool:
        return self.verifier(key)(force_bytes(msg), force_bytes(sig))

    def verifier(self, key: AllowedOKPKeys) -> Verifier:
        public_verify = self._public(key).verify

        def verify(msg: bytes, sig: bytes) -> bool:
            try:
                public_verify(sig, msg)
            except InvalidSignature:
                return False
            return True

        return verify

    @staticmethod
    # PyJWT 2.15.1 names this parameter ``key`` on OKPAlgorithm only; keyword callers rely on it.
    def to_jwk(key: AllowedOKPKeys, as_dict: bool = False) -> Any:  # pyright: ignore[reportIncompatibleMethodOverride]
        from .jwk import okp_to_jwk

        return okp_to_jwk(key, as_dict=as_dict)

    @staticmethod
    def from_jwk(jwk: Any) -> AllowedOKPKeys:
        from .jwk import okp_from_jwk

        return okp_from_jwk(jwk)


def get_default_algorithms() -> Dict[str, Algorithm]:
    """A fresh copy of the algorithm table: ``alg`` name to implementation."""
    return {
        "none": NoneAlgorithm(),
        "HS256": HMACAlgorithm(HMACAlgorithm.SHA256),
        "HS384": HMACAlgorithm(HMACAlgorithm.SHA384),
        "HS512": HMACAlgorithm(HMACAlgorithm.SHA512),
        "RS256": RSAAlgorithm(RSAAlgorithm.SHA256),
        "RS384": RSAAlgorithm(RSAAlgorithm.SHA384),
        "RS512": RSAAlgorithm(RSAAlgorithm.SHA512),
        "ES256": ECAlgorithm(ECAlgorithm.SHA256, SECP256R1),
        "ES256K": ECAlgorithm(ECAlgorithm.SHA256, SECP256K1),
        "ES384": ECAlgorithm(ECAlgorithm.SHA384, SECP384R1),
        "ES521": ECAlgorithm(ECAlgorithm.SHA512, SECP521R1),
        "ES512": ECAlgorithm(ECAlgorithm.SHA512, SECP521R1),
        "PS256": RSAPSSAlgorithm(RSAPSSAlgorithm.SHA256),
        "PS384": RSAPSSAlgorithm(RSAPSSAlgorithm.SHA384),
        "PS512": RSAPSSAlgorithm(RSAPSSAlgorithm.SHA512),
        "EdDSA": OKPAlgorithm(),
    }


# --------------------------------------------------------------------------- PyJWT's namespace
# Names PyJWT 2.15's jwt.algorithms also exposes (its imports): code written
# for PyJWT imports them from here.
from cryptography.hazmat.backends import default_backend  # noqa: E402,F401
from cryptography.hazmat.primitives.asymmetric.ec import (  # noqa: E402,F401
    EllipticCurvePrivateNumbers,
    EllipticCurvePublicNumbers,
)
from cryptography.hazmat.primitives.asymmetric.rsa import (  # noqa: E402,F401
    RSAPrivateNumbers,
    RSAPublicNumbers,
    rsa_crt_dmp1,
    rsa_crt_dmq1,
    rsa_crt_iqmp,
    rsa_recover_prime_factors,
)
from cryptography.hazmat.primitives.serialization import (  # noqa: E402,F401
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from .utils import (  # noqa: E402,F401
    base64url_decode,
    base64url_encode,
    from_base64url_uint,
    raw_to_der_signature,
    to_base64url_uint,
)
