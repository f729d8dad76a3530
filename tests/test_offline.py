"""The guard that keeps tests on this machine (tests/offline.py): outside hosts are refused and
remembered, this machine's are reached as usual."""

import socket

import httpx
import pytest

from tests import offline


def test_a_connection_to_an_outside_address_is_refused_and_remembered():
    with socket.socket() as sock, pytest.raises(offline.LeftTheMachine, match="leave the machine"):
        sock.connect(("192.0.2.10", 443))  # TEST-NET-1
    # Taken here, so this test does not fail for having tried.
    assert offline.take_attempts() == ["connect to ('192.0.2.10', 443)"]


def test_a_client_asking_for_an_outside_host_gets_a_connection_error_and_the_name_is_remembered():
    with pytest.raises(httpx.ConnectError):
        httpx.get("https://data.brreg.no/enhetsregisteret/api/enheter/974760673", timeout=5)
    assert offline.take_attempts() == ["name lookup of 'data.brreg.no'"]


def test_this_machine_is_reached_by_address_and_by_name():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        with socket.create_connection(("localhost", port), timeout=5):
            pass
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
    assert offline.take_attempts() == []
