"""A :class:`~fastjwt.KeySource` that serves the public keys found in a directory.

Operators rotate keys by dropping a new key file into the directory and,
once every issuer signs with the new key, removing the old file. The source
notices both by polling file metadata (no filesystem-notification
dependency) and swaps in a new :class:`~fastjwt.KeySet` in one reference
assignment, so a validator sees the old set or the new one, never a mix.

Recognised files (other files, hidden files and subdirectories are ignored,
so editors' backups and ``.tmp`` files written before a rename are harmless):

* ``*.pem``: one public key, X.509 certificate or private key (only its
  public part is kept); the ``kid`` is the file stem (``2026-11.pem`` ->
  ``"2026-11"``).
* ``*.jwk`` / ``*.json``: one JWK, or a JWK Set (``{"keys": [...]}``) that
  contributes all its usable members; the ``kid`` is the JWK's own, else the
  file stem.

Write key files atomically (write a hidden temporary file, then rename it
into place): a rename always changes the file's inode, so the change is seen
even when the new file has the same size and modification time.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Tuple, Union

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key

from ._jwks_doc import parse_members
from .exceptions import InvalidKeyError
from .keys import Key, KeySet

__all__ = ["DirectoryKeySource"]

logger = logging.getLogger("fastjwt.keys")

_PEM_SUFFIXES = frozenset({".pem"})
_JWK_SUFFIXES = frozenset({".jwk", ".json"})
#: Key files are tiny; a huge file is a mistake, not something to read into memory.
_MAX_FILE_SIZE = 1 << 20
#: What identifies one version of a file without reading it: the inode
#: changes on every atomic replace (and when a Kubernetes volume swaps its
#: ``..data`` symlink), mtime and size on an in-place rewrite.
_Signature = Tuple[int, int, int]


class _FileState(NamedTuple):
    signature: _Signature
    digest: Optional[bytes]  # of the content that produced ``keys``; None if it never loaded
    keys: Tuple[Key, ...]


class _LoadError(Exception):
    """A key file could not be used; the message is safe to log (no key material)."""


def _signature(stat: os.stat_result) -> _Signature:
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


def _public_key_from_pem(data: bytes) -> Tuple[Any, bool]:
    """The public key in a PEM file, and whether the file held a private key."""
    try:
        return load_pem_public_key(data), False
    except (ValueError, UnsupportedAlgorithm):
        pass
    try:
        return x509.load_pem_x509_certificate(data).public_key(), False
    except (ValueError, UnsupportedAlgorithm):
        pass
    try:
        # TypeError: an encrypted private key (we have no password, by design).
        private = load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise _LoadError("not a PEM public key, certificate or unencrypted private key") from None
    return private.public_key(), True


def _key_from_jwk(obj: Any, default_kid: str, name: str) -> Key:
    if not isinstance(obj, dict):
        raise InvalidKeyError("JWK must be a JSON object")
    if obj.get("kty") == "oct":
        # A shared secret is not a public key: it has no place in a directory
        # of verification keys that may be readable by more than this process.
        raise InvalidKeyError("symmetric (oct) keys are not loaded from a key directory")
    if "kid" not in obj:
        obj = {**obj, "kid": default_kid}
    key = Key.from_jwk(obj)  # keeps only the public part of a private JWK
    if "d" in obj:
        logger.warning("%s holds a private JWK: only its public part is used; "
                       "keep private keys off verifying hosts", name)
    return key


def _keys_from_json(data: bytes, name: str, default_kid: str) -> Tuple[Key, ...]:
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise _LoadError("not valid JSON") from None
    if isinstance(document, dict) and "keys" in document:
        members = document["keys"]
        if not isinstance(members, list):
            raise _LoadError('JWK Set member "keys" must be a list')
        # A JWKS may legitimately publish encryption keys too: skipped (and logged) as _jwks_doc says.
        keys = parse_members(members, to_key=lambda member: _key_from_jwk(member, default_kid, name),
                             source=name, logger=logger, level=logging.INFO).keys
        if not keys:
            raise _LoadError("the JWK Set has no usable signature-verification key")
        return keys
    try:
        return (_key_from_jwk(document, default_kid, name),)
    except (InvalidKeyError, TypeError, ValueError) as err:
        raise _LoadError(str(err)) from None


def _load_keys(path: Path, data: bytes) -> Tuple[Key, ...]:
    """The keys of one file's content; raises _LoadError."""
    kid = path.stem
    if path.suffix.lower() in _PEM_SUFFIXES:
        public, was_private = _public_key_from_pem(data)
        if was_private:
            logger.warning("%s holds a private key: only its public part is used; "
                           "keep private keys off verifying hosts", path.name)
        try:
            return (Key(public, kid=kid),)
        except (InvalidKeyError, TypeError, ValueError) as err:
            raise _LoadError(str(err)) from None
    return _keys_from_json(data, path.name, kid)


class DirectoryKeySource:
    """Serve the verification keys of a directory, reloading when files change.

    Args:
        path: the directory. It must exist when the source is created.
        poll_interval: seconds between checks for changed files. ``key_set()``
            checks at most this often (a few ``stat`` calls; only changed files
            are read), and so does the forced rescan of ``key_set_for``.
        clock: a monotonic clock in seconds, for the throttling above.

    A file that fails to load is logged (logger ``fastjwt.keys``, never key
    material) and its previous version, if any, keeps serving; a file that
    disappears takes its keys with it. A file whose content did not change
    keeps its very :class:`Key` objects across reloads, so the validator's
    cached verifications made with them stay valid.

    ``start()`` moves polling to a daemon thread, after which ``key_set()`` is
    a plain attribute read.
    """

    def __init__(
        self,
        path: Union[str, os.PathLike[str]],
        *,
        poll_interval: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if poll_interval < 0:
            raise ValueError("poll_interval must not be negative")
        self.path = Path(path)
        if not self.path.is_dir():
            # Fail at startup rather than serve an empty key set forever.
            raise NotADirectoryError(f"Key directory not found: {self.path}")
        self.poll_interval = float(poll_interval)
        self._clock = clock
        # Held while scanning: one scan at a time, and _files is only touched under it.
        self._lock = threading.Lock()
        self._files: Dict[str, _FileState] = {}
        self._current = KeySet()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        with self._lock:
            self._scan()
            now = clock()
            self._next_poll = now + self.poll_interval
            self._next_forced = now  # a rotated-in kid may be looked up at once
        if not len(self._current):
            logger.warning("Key directory %s has no usable keys yet", self.path)

    # ------------------------------------------------------------ KeySource

    def key_set(self) -> KeySet:
        """The current key set; checks the directory if the poll interval has passed.

        Never waits for another thread's scan: it then returns the current set.
        """
        if self._thread is None and self._clock() >= self._next_poll and self._lock.acquire(blocking=False):
            try:
                now = self._clock()
                if now >= self._next_poll:  # another thread may have just scanned
                    self._next_poll = now + self.poll_interval
                    self._scan()
            finally:
                self._lock.release()
        return self._current

    def key_set_for(self, kid: str) -> KeySet:
        """The current set, after a rescan if it lacks ``kid`` (at most one per poll interval).

        A token naming an unknown ``kid`` is the first sign of a key rotated
        in since the last poll; the throttle keeps a flood of made-up ``kid``
        values from turning into a flood of directory scans.
        """
        if self._current.has_kid(kid):
            return self._current
        with self._lock:  # a scan in progress may be loading this very kid: wait for it
            now = self._clock()
            if not self._current.has_kid(kid) and now >= self._next_forced:
                self._next_forced = now + self.poll_interval
                self._next_poll = now + self.poll_interval
                self._scan()
        return self._current

    # ------------------------------------------------------------ control

    def refresh(self) -> KeySet:
        """Rescan now, ignoring the throttle (e.g. from a SIGHUP handler)."""
        with self._lock:
            self._scan()
            self._next_poll = self._clock() + self.poll_interval
        return self._current

    def start(self) -> DirectoryKeySource:
        """Poll from a daemon thread every ``poll_interval`` seconds; returns self."""
        if self._thread is not None:
            raise RuntimeError("the polling thread is already running")
        if self.poll_interval <= 0:
            raise ValueError("a polling thread needs a positive poll_interval")
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"fastjwt-keys:{self.path.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: Optional[float] = None) -> None:
        """Stop the polling thread (if any); ``key_set()`` polls inline again."""
        thread = self._thread
        if thread is None:
            return
        self._stop.set()
        thread.join(timeout)
        self._thread = None

    def __enter__(self) -> DirectoryKeySource:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"DirectoryKeySource({str(self.path)!r}, keys={len(self._current)})"

    def _run(self) -> None:
        while not self._stop.wait(self.poll_interval):
            try:
                self.refresh()
            except Exception:  # a dead poller would silently freeze the keys
                logger.exception("Key directory %s: polling failed", self.path)

    # ------------------------------------------------------------ scanning

    def _scan(self) -> None:
        """Reload changed files and publish a new KeySet if anything changed. Caller holds _lock."""
        try:
            entries = sorted(os.scandir(self.path), key=lambda entry: entry.name)
        except OSError as err:
            # A directory that vanished or became unreadable is more likely an
            # operational accident than a revocation of every key: keep serving.
            logger.error("Cannot read key directory %s (%s); keeping the current keys",
                         self.path, err.strerror or type(err).__name__)
            return
        files: Dict[str, _FileState] = {}
        for entry in entries:
            suffix = os.path.splitext(entry.name)[1].lower()
            if entry.name.startswith(".") or suffix not in _PEM_SUFFIXES | _JWK_SUFFIXES:
                continue
            try:
                if not entry.is_file():  # follows symlinks, as Kubernetes volumes need
                    continue
                stat = entry.stat()
            except OSError:
                continue  # removed while we were looking
            previous = self._files.get(entry.name)
            if previous is not None and previous.signature == _signature(stat):
                files[entry.name] = previous
                continue
            state = self._load(Path(entry.path), previous)
            if state is not None:
                files[entry.name] = state
        for name in self._files.keys() - files.keys():
            logger.info("Key file %s removed: its keys are no longer used", name)
        self._files = files
        keys = tuple(key for state in files.values() for key in state.keys)
        if keys != self._current.keys:
            # Only on a real change: a validator ties its remembered forgeries
            # to the KeySet object, so a needless swap would forget them.
            self._current = KeySet(keys)
            self._warn_duplicate_kids(keys)

    def _load(self, path: Path, previous: Optional[_FileState]) -> Optional[_FileState]:
        """The new state of a changed file; on failure its previous state (or None)."""
        try:
            with open(path, "rb") as handle:
                # The version read is the one after this fstat; a later write
                # changes the signature again and is picked up next time.
                signature = _signature(os.fstat(handle.fileno()))
                data = handle.read(_MAX_FILE_SIZE + 1)
        except OSError as err:
            logger.warning("Cannot read key file %s (%s)", path.name, err.strerror or type(err).__name__)
            return previous
        if previous is not None and previous.digest is None:
            previous = None  # only a failed version came before: nothing to fall back to
        digest = hashlib.sha256(data).digest()
        if previous is not None and previous.digest == digest:
            # Touched or rewritten with the same content: keep the Key objects.
            return previous._replace(signature=signature)
        try:
            if len(data) > _MAX_FILE_SIZE:
                raise _LoadError(f"larger than {_MAX_FILE_SIZE} bytes")
            keys = _load_keys(path, data)
        except _LoadError as err:
            if previous is None:
                logger.warning("Ignoring key file %s: %s", path.name, err)
                # Remember the failed version so it is not retried (and logged) on every poll.
                return _FileState(signature, None, ())
            logger.warning("Ignoring the new version of key file %s: %s; its previous version "
                           "keeps serving", path.name, err)
            return previous._replace(signature=signature)
        logger.info("Loaded key file %s: kid %s", path.name, ", ".join(repr(key.kid) for key in keys))
        return _FileState(signature, digest, keys)

    @staticmethod
    def _warn_duplicate_kids(keys: Tuple[Key, ...]) -> None:
        seen: Dict[Optional[str], int] = {}
        for key in keys:
            seen[key.kid] = seen.get(key.kid, 0) + 1
        duplicates: List[str] = sorted(repr(kid) for kid, count in seen.items() if count > 1)
        if duplicates:
            # Not fatal (each candidate is tried), but usually a leftover file.
            logger.warning("Several keys share kid %s", ", ".join(duplicates))
