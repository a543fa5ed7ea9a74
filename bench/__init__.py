"""Benchmark suite for fastjwt.

``python -m bench.compare`` times fastjwt against the other Python JWT
libraries and against the cost floors of the primitives it is built on;
``pytest bench/ --benchmark-only`` runs the pytest-benchmark variant.

Modules:

* :mod:`bench.fixtures` -- keys, claims and signed tokens for each algorithm.
* :mod:`bench.peers` -- one adapter per library (fastjwt included), in one table.
* :mod:`bench.floors` -- the cost floors (bare signature check, base64, JSON).
* :mod:`bench.timing` -- the calibrated ``perf_counter_ns`` timer.
* :mod:`bench.workload` -- the mixed workload (many tokens, each seen often).
* :mod:`bench.results` -- the result records and the ratios derived from them.
* :mod:`bench.report` -- markdown, JSON and PNG output plus machine details.
* :mod:`bench.compare` -- the command line entry point.

``python -m bench.grpc_load`` measures gRPC end to end (calls/s and server CPU
per call, sync and aio servers) with fastjwt's interceptor, without auth and
with :mod:`bench.grpc_pyjwt`, an interceptor built on PyJWT;
``python -m bench.grpc_callgrind`` counts the same servers' instructions per
call under callgrind.
"""
