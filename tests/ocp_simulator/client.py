"""Small helpers for code that talks to the simulator: an AK/SK signer for `requests` and a poller."""

from __future__ import annotations

import datetime
import time
import urllib.parse

import requests

from .auth import aksk_authorization, http_date, sign, string_to_sign


class AkSkAuth(requests.auth.AuthBase):
    """Sign a `requests` call with OCP-ACCESS-KEY-HMACSHA1, the way an OCP client must.

    `date` fixes the Date header (a datetime), e.g. to test clock skew.
    """

    def __init__(self, access_key_id, access_key_secret, date=None):
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.date = date

    def __call__(self, prepared):
        moment = self.date or datetime.datetime.now(datetime.timezone.utc)
        prepared.headers["Date"] = http_date(moment)
        url = urllib.parse.urlsplit(prepared.url)
        body = prepared.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        message = string_to_sign(
            prepared.method, body, prepared.headers.get("Content-Type", ""), prepared.headers["Date"],
            url.netloc, prepared.headers.items(), url.path, url.query)
        prepared.headers["Authorization"] = aksk_authorization(self.access_key_id, sign(self.access_key_secret, message))
        return prepared

    def __repr__(self):
        return "AkSkAuth(%r)" % self.access_key_id  # never the secret


def wait_until(predicate, timeout=30.0, interval=0.02, message="condition"):
    """Poll `predicate` until it returns something truthy and return that; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.0f s waiting for %s" % (timeout, message))
        time.sleep(interval)
