"""Helpers of the partner console tests."""

from django.test import Client

from tests.conftest import sign_in


def console(email: str) -> Client:
    client = Client(HTTP_HOST="localhost")
    sign_in(client, email)
    return client


def paula_console() -> Client:
    return console("paula@partner-p.test")


def quinn_console() -> Client:
    return console("quinn@partner-q.test")


def tenant_client(slug: str) -> Client:
    return Client(HTTP_HOST=f"{slug}.localhost")
