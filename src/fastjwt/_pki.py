"""A throwaway PKI for loopback TLS: one CA, server and client certificates.

Used by the test suite and by ``fastjwt demo``: certificates are generated at
start-up with ``cryptography``, never shipped. The keys are P-256 (fast to
generate, accepted by gRPC's BoringSSL), the certificates live one day. This is
not a certificate authority for anything but 127.0.0.1.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import ipaddress
import os
from dataclasses import dataclass, field
from typing import Dict, Tuple

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["Credential", "DevPKI", "cert_thumbprint_s256"]

_LIFETIME = datetime.timedelta(days=1)


@dataclass(frozen=True)
class Credential:
    """A certificate and its private key, both PEM."""

    cert_pem: bytes
    key_pem: bytes

    @property
    def thumbprint_s256(self) -> str:
        """RFC 8705 ``x5t#S256``: base64url SHA-256 of the certificate's DER."""
        return cert_thumbprint_s256(self.cert_pem)


def cert_thumbprint_s256(cert_pem: bytes) -> str:
    """The RFC 8705 ``x5t#S256`` thumbprint of a PEM or DER certificate."""
    if cert_pem.lstrip().startswith(b"-----"):
        der = x509.load_pem_x509_certificate(cert_pem).public_bytes(serialization.Encoding.DER)
    else:
        der = cert_pem
    return base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode("ascii")


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@dataclass
class DevPKI:
    """A CA that issues loopback server certificates and client certificates.

    ``DevPKI.create()`` makes the CA; ``server`` (for ``127.0.0.1``,
    ``::1`` and ``localhost``) is issued at once; ``client(name)`` issues (and
    remembers) one client certificate per name, for mTLS.
    """

    ca: Credential
    server: Credential
    _ca_key: ec.EllipticCurvePrivateKey = field(repr=False)
    _clients: Dict[str, Credential] = field(default_factory=dict, repr=False)

    @classmethod
    def create(cls, ca_name: str = "fastjwt dev CA") -> DevPKI:
        """A new CA and a server certificate for loopback."""
        ca_key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        ca_cert = (
            x509.CertificateBuilder()
            .subject_name(_name(ca_name))
            .issuer_name(_name(ca_name))
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + _LIFETIME)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False, content_commitment=False, key_encipherment=False,
                    data_encipherment=False, key_agreement=False, key_cert_sign=True,
                    crl_sign=True, encipher_only=False, decipher_only=False,
                ),
                critical=True,
            )
            .sign(ca_key, hashes.SHA256())
        )
        ca = Credential(ca_cert.public_bytes(serialization.Encoding.PEM), _key_pem(ca_key))
        pki = cls(ca=ca, server=ca, _ca_key=ca_key)
        pki.server = pki._issue("localhost", server=True)
        return pki

    def client(self, name: str = "client") -> Credential:
        """The client certificate for ``name`` (issued on first request)."""
        if name not in self._clients:
            self._clients[name] = self._issue(name, server=False)
        return self._clients[name]

    def _issue(self, common_name: str, *, server: bool) -> Credential:
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        ca_cert = x509.load_pem_x509_certificate(self.ca.cert_pem)
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + _LIFETIME)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage(
                    [ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH]
                ),
                critical=False,
            )
        )
        if server:
            builder = builder.add_extension(
                x509.SubjectAlternativeName(
                    [
                        x509.DNSName("localhost"),
                        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                        x509.IPAddress(ipaddress.ip_address("::1")),
                    ]
                ),
                critical=False,
            )
        else:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(common_name)]), critical=False
            )
        cert = builder.sign(self._ca_key, hashes.SHA256())
        return Credential(cert.public_bytes(serialization.Encoding.PEM), _key_pem(key))

    def write(self, directory: str, clients: Tuple[str, ...] = ()) -> Dict[str, str]:
        """Write the CA certificate, server pair and named client pairs; return their paths.

        Private keys are written with owner-only permissions (0600).
        """
        paths: Dict[str, str] = {}

        def put(name: str, data: bytes, private: bool) -> None:
            path = os.path.join(directory, name)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            paths[name] = path

        put("ca.pem", self.ca.cert_pem, False)
        put("server.pem", self.server.cert_pem, False)
        put("server.key", self.server.key_pem, True)
        for name in clients:
            cred = self.client(name)
            put(f"{name}.pem", cred.cert_pem, False)
            put(f"{name}.key", cred.key_pem, True)
        return paths
