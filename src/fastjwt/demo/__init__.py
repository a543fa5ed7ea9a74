"""The ``fastjwt demo`` pieces: a token service, a protected gRPC service, the runner.

The token service (:mod:`fastjwt.demo.issuer`, :mod:`fastjwt.demo.store`,
:mod:`fastjwt.demo.keyring`, :mod:`fastjwt.demo.jwks_http`) is plain Python
with the standard library and ``cryptography``; only the gRPC adapters
(:mod:`fastjwt.demo.token_service` and the runner) import ``grpc``. Nothing
here is imported by ``import fastjwt``.
"""
