"""TLS contexts built from the tls-* settings, as Redis's tls.c builds its SSL_CTXs (tlsConfigure).

Two contexts: the server's (the tls-port listener, and the HTTP API with http-tls yes) and the client's (the replica
link with tls-replication). They are built at start-up when TLS is in use (tls-port set, tls-replication or
http-tls yes) and rebuilt on CONFIG SET of a tls-* parameter; connections already open keep the context they
were accepted with, and the HTTP API keeps the one it started with.

Python's ssl module has no call for TLS 1.3 ciphersuites or the server's session cache size and timeout, so
those three go to OpenSSL through ctypes, on the SSL_CTX the context wraps; when that cannot be done safely
(another Python or OpenSSL), tls-ciphersuites other than empty is refused and the session cache keeps
OpenSSL's defaults.
"""

import ctypes
import logging
import ssl
from typing import Any

log = logging.getLogger("redislite.tls")

PROTOCOLS = {
    "tlsv1": ssl.TLSVersion.TLSv1,
    "tlsv1.1": ssl.TLSVersion.TLSv1_1,
    "tlsv1.2": ssl.TLSVersion.TLSv1_2,
    "tlsv1.3": ssl.TLSVersion.TLSv1_3,
}
DEFAULT_PROTOCOLS = "TLSv1.2 TLSv1.3"  # Redis's when tls-protocols is empty
AUTH_CLIENTS = {"yes": ssl.CERT_REQUIRED, "optional": ssl.CERT_OPTIONAL, "no": ssl.CERT_NONE}


class TlsConfigError(Exception):
    """The tls-* settings do not make a usable context (a missing file, a wrong password, bad cipher names)."""


class TlsContexts:
    """The current contexts; `server` is None while TLS is not in use."""

    def __init__(self) -> None:
        self.server: ssl.SSLContext | None = None
        self.client: ssl.SSLContext | None = None

    def configure(self, settings: Any) -> None:
        """Build both contexts from the settings when TLS is in use (else drop them); TlsConfigError leaves
        the current ones in place."""
        if not (settings.tls_port or settings.tls_replication or settings.http_tls):
            self.server = self.client = None  # as Redis: the files are not even read until TLS is used
            return
        try:
            server = server_context(settings)
            client = client_context(settings)
        except (OSError, ValueError, ssl.SSLError) as error:
            log.warning("tls_configuration_failed", extra={"error": str(error)})
            raise TlsConfigError(str(error)) from None
        self.server, self.client = server, client


def server_context(settings: Any) -> ssl.SSLContext:
    if not settings.tls_cert_file or not settings.tls_key_file:
        raise ValueError("tls-cert-file and tls-key-file are required to use TLS")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    _common(context, settings)
    context.load_cert_chain(settings.tls_cert_file, settings.tls_key_file, settings.tls_key_file_pass or None)
    context.verify_mode = AUTH_CLIENTS[settings.tls_auth_clients]
    if settings.tls_prefer_server_ciphers:
        context.options |= ssl.OP_CIPHER_SERVER_PREFERENCE
    if settings.tls_dh_params_file:
        context.load_dh_params(settings.tls_dh_params_file)
    _session_cache(
        context, settings.tls_session_caching, settings.tls_session_cache_size, settings.tls_session_cache_timeout
    )
    return context


def client_context(settings: Any) -> ssl.SSLContext:
    """The replica link's: the peer is checked against the CA, not its name (as Redis does); the client's
    certificate is tls-client-cert-file, or the server's when that is not set."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_REQUIRED
    _common(context, settings)
    if settings.tls_client_cert_file:
        cert, key, password = (
            settings.tls_client_cert_file,
            settings.tls_client_key_file,
            settings.tls_client_key_file_pass,
        )
    else:
        cert, key, password = settings.tls_cert_file, settings.tls_key_file, settings.tls_key_file_pass
    if cert:
        context.load_cert_chain(cert, key or None, password or None)
    return context


def _common(context: ssl.SSLContext, settings: Any) -> None:
    """What both sides share: protocols, CA, ciphers."""
    versions = parse_protocols(settings.tls_protocols)
    context.minimum_version, context.maximum_version = min(versions), max(versions)
    context.options |= ssl.OP_NO_COMPRESSION
    if settings.tls_ca_cert_file or settings.tls_ca_cert_dir:
        context.load_verify_locations(settings.tls_ca_cert_file or None, settings.tls_ca_cert_dir or None)
    else:  # Redis 7.0 insists, whichever side and whatever tls-auth-clients says
        raise ValueError("either tls-ca-cert-file or tls-ca-cert-dir must be specified")
    if settings.tls_ciphers:
        context.set_ciphers(settings.tls_ciphers)
    if settings.tls_ciphersuites:
        _set_ciphersuites(context, settings.tls_ciphersuites)


def parse_protocols(value: str) -> list[ssl.TLSVersion]:
    """tls-protocols: any of TLSv1, TLSv1.1, TLSv1.2, TLSv1.3 (case-insensitive); the versions allowed are those
    from the lowest named to the highest."""
    versions = []
    for word in (value or DEFAULT_PROTOCOLS).split():
        version = PROTOCOLS.get(word.lower())
        if version is None:
            raise ValueError(
                "Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'."
            )
        versions.append(version)
    return versions


# -- what the ssl module cannot set: OpenSSL through ctypes ----------------------------------------------------

SSL_CTRL_SET_SESS_CACHE_SIZE = 42
SSL_CTRL_SET_SESS_CACHE_MODE = 44
SSL_SESS_CACHE_OFF = 0
SSL_SESS_CACHE_SERVER = 2


def _libssl():
    """The libssl the ssl module runs on (found in this process's mappings), or None."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "/libssl.so" in line}
    except OSError:
        return None
    if len(paths) != 1:
        return None
    lib = ctypes.CDLL(paths.pop())
    lib.SSL_CTX_get_options.restype = ctypes.c_uint64
    lib.SSL_CTX_get_options.argtypes = [ctypes.c_void_p]
    lib.SSL_CTX_set_ciphersuites.restype = ctypes.c_int
    lib.SSL_CTX_set_ciphersuites.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    lib.SSL_CTX_ctrl.restype = ctypes.c_long
    lib.SSL_CTX_ctrl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_long, ctypes.c_void_p]
    lib.SSL_CTX_set_timeout.restype = ctypes.c_long
    lib.SSL_CTX_set_timeout.argtypes = [ctypes.c_void_p, ctypes.c_long]
    return lib


_LIBSSL: Any = None
_LIBSSL_LOOKED_UP = False


def _native(context: ssl.SSLContext):
    """(libssl, SSL_CTX pointer) of a context, or None. CPython's context object holds its SSL_CTX right after
    the object header; the pointer is used only when OpenSSL reads the same options from it as Python does."""
    global _LIBSSL, _LIBSSL_LOOKED_UP
    if not _LIBSSL_LOOKED_UP:
        _LIBSSL_LOOKED_UP = True
        try:
            _LIBSSL = _libssl()
        except (OSError, AttributeError):
            _LIBSSL = None
    if _LIBSSL is None:
        return None
    pointer = ctypes.c_void_p.from_address(id(context) + object.__basicsize__).value
    probe = ssl.OP_NO_TICKET if not context.options & ssl.OP_NO_TICKET else 0
    context.options |= probe  # a change only the right SSL_CTX shows
    same = pointer is not None and _LIBSSL.SSL_CTX_get_options(pointer) == int(context.options)
    context.options &= ~probe
    return (_LIBSSL, pointer) if same else None


def _set_ciphersuites(context: ssl.SSLContext, suites: str) -> None:
    native = _native(context)
    if native is None:
        raise ValueError("tls-ciphersuites cannot be set with this Python's ssl module")
    lib, pointer = native
    if lib.SSL_CTX_set_ciphersuites(pointer, suites.encode()) != 1:
        raise ValueError(f"failed to configure ciphersuites: {suites}")


def _session_cache(context: ssl.SSLContext, caching: bool, size: int, timeout: int) -> None:
    native = _native(context)
    if native is None:
        if not caching:
            context.options |= ssl.OP_NO_TICKET
        return
    lib, pointer = native
    if caching:
        lib.SSL_CTX_ctrl(pointer, SSL_CTRL_SET_SESS_CACHE_MODE, SSL_SESS_CACHE_SERVER, None)
        lib.SSL_CTX_ctrl(pointer, SSL_CTRL_SET_SESS_CACHE_SIZE, size, None)
        lib.SSL_CTX_set_timeout(pointer, timeout)
    else:
        lib.SSL_CTX_ctrl(pointer, SSL_CTRL_SET_SESS_CACHE_MODE, SSL_SESS_CACHE_OFF, None)
        context.options |= ssl.OP_NO_TICKET
