"""HTTPS end to end: the emulator serves TLS with a CA of its own, and a client trusts it through
``ca_pem=``, ``ca_file=`` or the CA-bundle variables, or says clearly why it refuses it. The
tests taking ``doors`` run with ``ims.Client`` and with ``ims.AsyncClient``."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

import ims
from ims.testing import Emulator

from .conftest import BACKUP_ID, FAST, Door, Doors

CA_VARIABLES = ("IMS_CA_FILE", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")


@pytest.fixture(autouse=True)
def _no_ca_bundle_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test decides the CA-bundle variables itself (none unless it sets them)."""
    for var in CA_VARIABLES:
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def tls_emu() -> Iterator[Emulator]:
    """An HTTPS emulator (a fresh CA) whose jobs are done at once."""
    with Emulator(tls=True, job_seconds=0) as e:
        yield e


def plain_client(doors: Doors, emu: Emulator, **kwargs: Any) -> Door:
    """A client for `emu` that trusts nothing but what `kwargs` (or the environment) say."""
    return doors(
        endpoint=emu.url, ak=emu.ak, sk=emu.sk, project_id=emu.project_id, **kwargs
    )


def refused(emu: Emulator, client: Door) -> ims.TransportError:
    """The transport error of a create that the TLS handshake stopped: one connection, no
    request, no image, no retry."""
    with pytest.raises(ims.TransportError) as info:
        client.create_whole_image(name="tls", backup_id=BACKUP_ID)
    err = info.value
    assert err.not_sent is True, str(err)
    stats = emu.stats()
    assert stats["connections"] == 1, (stats, str(err))
    assert stats["requests_total"] == 0, (stats, str(err))
    assert stats["images_created"] == 0
    return err


# -- the emulator --------------------------------------------------------------------------


def test_the_emulator_serves_https_with_a_ca_of_its_own() -> None:
    with Emulator(tls=True) as emu:
        assert emu.url.startswith("https://127.0.0.1:"), emu.url
        assert emu.ca_pem is not None
        assert emu.ca_pem.startswith("-----BEGIN CERTIFICATE-----"), emu.ca_pem
    with Emulator() as plain:
        assert plain.url.startswith("http://127.0.0.1:"), plain.url
        assert plain.ca_pem is None


def test_a_certificate_kind_implies_tls_and_an_unknown_one_lists_the_kinds() -> None:
    for kind in ("valid", "other-host", "expired"):
        with Emulator(tls_certificate=kind) as emu:
            assert emu.url.startswith("https://"), (kind, emu.url)
            assert emu.ca_pem is not None
    with pytest.raises(ValueError) as info:
        Emulator(tls_certificate="self-signed")  # type: ignore[arg-type]
    message = str(info.value)
    for kind in ("valid", "other-host", "expired"):
        assert kind in message, message


# -- trusted: create and wait ----------------------------------------------------------------


def test_with_the_ca_create_and_wait_succeed_over_tls(tls_emu: Emulator, doors: Doors) -> None:
    client = doors.for_emulator(tls_emu)
    job_id = client.create_whole_image(name="tls", backup_id=BACKUP_ID)
    job = client.wait_job(job_id, interval=FAST)
    assert job.status == "SUCCESS"
    assert job.image_id
    assert tls_emu.stats()["create_accepted"] == 1


@pytest.mark.parametrize("form", ["str", "bytes"])
def test_ca_pem_is_accepted_as_str_or_bytes(tls_emu: Emulator, form: str, doors: Doors) -> None:
    assert tls_emu.ca_pem is not None
    pem: str | bytes = tls_emu.ca_pem if form == "str" else tls_emu.ca_pem.encode()
    client = plain_client(doors, tls_emu, ca_pem=pem)
    assert client.create_whole_image(name="tls", backup_id=BACKUP_ID)
    assert tls_emu.stats()["images_created"] == 1


def test_ca_pem_may_hold_several_certificates(tls_emu: Emulator, doors: Doors) -> None:
    with Emulator(tls=True) as other:
        assert other.ca_pem is not None and tls_emu.ca_pem is not None
        client = plain_client(doors, tls_emu, ca_pem=other.ca_pem + tls_emu.ca_pem)
        assert client.create_whole_image(name="tls", backup_id=BACKUP_ID)


@pytest.mark.parametrize("form", ["str", "path"])
def test_ca_file_is_read_and_trusted(
    tls_emu: Emulator, tmp_path: Path, form: str, doors: Doors
) -> None:
    assert tls_emu.ca_pem is not None
    path = tmp_path / "ca.pem"
    path.write_text(tls_emu.ca_pem)
    client = plain_client(doors, tls_emu, ca_file=str(path) if form == "str" else path)
    assert client.create_whole_image(name="tls", backup_id=BACKUP_ID)


def test_from_env_takes_ca_pem_and_ca_file(
    tls_emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, doors: Doors
) -> None:
    assert tls_emu.ca_pem is not None
    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", tls_emu.ak)
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", tls_emu.sk)
    monkeypatch.delenv("HUAWEICLOUD_SDK_SECURITY_TOKEN", raising=False)
    monkeypatch.setenv("IMS_ENDPOINT", tls_emu.url)
    client = doors.from_env(project_id=tls_emu.project_id, ca_pem=tls_emu.ca_pem)
    assert client.create_whole_image(name="tls-1", backup_id="b-env-1")
    path = tmp_path / "ca.pem"
    path.write_text(tls_emu.ca_pem)
    client = doors.from_env(project_id=tls_emu.project_id, ca_file=path)
    assert client.create_whole_image(name="tls-2", backup_id="b-env-2")
    assert tls_emu.stats()["images_created"] == 2


def test_a_hundred_polls_over_tls_use_one_connection(doors: Doors) -> None:
    with Emulator(tls=True, job_seconds=3600) as emu:
        client = doors.for_emulator(emu)
        job_id = client.create_whole_image(name="tls", backup_id=BACKUP_ID)
        for _ in range(100):
            assert not client.job_status(job_id).is_terminal
        stats = emu.stats()
        assert stats["requests_total"] == 101
        assert stats["connections"] == 1


# -- refused: the transport error says why ---------------------------------------------------


def test_without_the_ca_the_error_says_the_certificate_is_not_trusted(
    tls_emu: Emulator,
    doors: Doors,
) -> None:
    err = refused(tls_emu, plain_client(doors, tls_emu))
    message = str(err)
    assert "not trusted" in message, message
    assert "ca_pem=" in message, message
    assert "error sending request" not in message, message


def test_a_wait_stops_at_once_on_an_untrusted_certificate(tls_emu: Emulator, doors: Doors) -> None:
    with pytest.raises(ims.TransportError) as info:
        plain_client(doors, tls_emu).wait_job("job-1", interval=FAST, timeout=30)
    assert "not trusted" in str(info.value)
    assert tls_emu.stats()["connections"] == 1


def test_the_callers_ca_file_replaces_the_emulators_ca(
    tls_emu: Emulator, tmp_path: Path, doors: Doors
) -> None:
    with Emulator(tls=True) as other:
        assert other.ca_pem is not None
        path = tmp_path / "other.pem"
        path.write_text(other.ca_pem)
        err = refused(tls_emu, doors.for_emulator(tls_emu, ca_file=path))
        # Each emulator's CA has a name of its own: the other one is simply not the issuer.
        assert "not trusted" in str(err), str(err)


def test_a_certificate_for_another_host_is_refused_naming_the_mismatch(doors: Doors) -> None:
    with Emulator(tls_certificate="other-host") as emu:
        message = str(refused(emu, doors.for_emulator(emu)))
        assert "not valid for 127.0.0.1" in message, message
        assert "other-host.invalid" in message, message


def test_an_expired_certificate_is_refused(doors: Doors) -> None:
    with Emulator(tls_certificate="expired") as emu:
        message = str(refused(emu, doors.for_emulator(emu)))
        assert "expired" in message, message


# -- the CA-bundle variables, as requests honours them ---------------------------------------


@pytest.mark.parametrize("var", CA_VARIABLES)
def test_the_ca_bundle_variables_are_honoured(
    tls_emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, var: str, doors: Doors
) -> None:
    assert tls_emu.ca_pem is not None
    path = tmp_path / "bundle.pem"
    path.write_text(tls_emu.ca_pem)
    monkeypatch.setenv(var, str(path))
    assert plain_client(doors, tls_emu).create_whole_image(name="tls", backup_id=BACKUP_ID)
    assert tls_emu.stats()["images_created"] == 1


def test_a_missing_ssl_cert_file_is_a_config_error_naming_it(
    tls_emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, doors: Doors
) -> None:
    missing = str(tmp_path / "no-such-bundle.pem")
    monkeypatch.setenv("SSL_CERT_FILE", missing)
    with pytest.raises(ims.ConfigError) as info:
        plain_client(doors, tls_emu)
    message = str(info.value)
    assert "SSL_CERT_FILE" in message and missing in message, message
    # An explicit CA wins over the variables (so the emulator's client still works).
    assert doors.for_emulator(tls_emu).create_whole_image(name="tls", backup_id=BACKUP_ID)
    assert tls_emu.stats()["connections"] == 1


# -- bad input: a config error, nothing sent --------------------------------------------------

#: A PEM block whose base64 is sound but whose content is no certificate (DER).
NOT_DER = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n"

GARBAGE_PEMS = [
    "",
    "not a certificate",
    "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n",
    b"\xff\xfe\x00garbage",
]


@pytest.mark.parametrize("pem", [*GARBAGE_PEMS, NOT_DER])
def test_a_bad_ca_pem_is_a_config_error_naming_the_ca(
    tls_emu: Emulator, pem: str | bytes, doors: Doors
) -> None:
    with pytest.raises(ims.ConfigError) as info:
        plain_client(doors, tls_emu, ca_pem=pem)
    assert tls_emu.stats()["connections"] == 0
    assert "CA certificate" in str(info.value), str(info.value)


def test_a_ca_pem_of_another_type_is_a_type_error(tls_emu: Emulator, doors: Doors) -> None:
    with pytest.raises(TypeError) as info:
        plain_client(doors, tls_emu, ca_pem=42)
    assert "ca_pem" in str(info.value)


@pytest.mark.parametrize(
    "kind",
    ["missing", "garbage", "empty", "directory", "not-der"],
)
def test_an_unreadable_or_malformed_ca_file_is_a_config_error_naming_it(
    tls_emu: Emulator, tmp_path: Path, kind: str, doors: Doors
) -> None:
    contents = {"garbage": "garbage\n", "empty": "", "not-der": NOT_DER}
    path = tmp_path if kind == "directory" else tmp_path / f"{kind}.pem"
    if kind in contents:
        path.write_text(contents[kind])
    with pytest.raises(ims.ConfigError) as info:
        plain_client(doors, tls_emu, ca_file=path)
    assert tls_emu.stats()["connections"] == 0
    message = str(info.value)
    assert str(path) in message and "CA certificate" in message, message


# -- the proxy: used, and its password never shown --------------------------------------------


def test_an_invalid_proxy_url_is_a_config_error_without_its_password(
    tls_emu: Emulator,
    doors: Doors,
) -> None:
    with pytest.raises(ims.ConfigError) as info:
        doors.for_emulator(tls_emu, proxy="http://user:s3cret@[bad")
    message = str(info.value)
    assert "proxy" in message, message
    assert "s3cret" not in message and "s3cret" not in repr(info.value), message


def test_the_proxy_is_used_and_its_password_never_shown(tls_emu: Emulator, doors: Doors) -> None:
    # Nothing listens on port 9: the request fails at the proxy, never reaching the emulator.
    proxy = "http://user:s3cret@127.0.0.1:9"
    client = doors.for_emulator(tls_emu, proxy=proxy, max_attempts=1)
    assert "s3cret" not in repr(client)
    with pytest.raises(ims.TransportError) as info:
        client.create_whole_image(name="tls", backup_id=BACKUP_ID)
    assert "s3cret" not in str(info.value) and "s3cret" not in repr(info.value)
    assert tls_emu.stats()["connections"] == 0
    client = doors.from_env(
        endpoint=tls_emu.url, project_id=tls_emu.project_id, proxy=proxy
    )
    assert "s3cret" not in repr(client)
