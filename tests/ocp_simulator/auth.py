"""OCP authentication: HTTP Basic and AK/SK request signing (OCP-ACCESS-KEY-HMACSHA1).

The signing functions are public so tests can sign requests the way a client must.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import email.utils
import hashlib
import hmac
import urllib.parse
from dataclasses import dataclass, field

from .envelope import BAD_CREDENTIALS, NOT_LOGGED_IN, ApiError

AKSK_SCHEME = "OCP-ACCESS-KEY-HMACSHA1"
MAX_DATE_SKEW_SECONDS = 15 * 60
SIGNED_HEADER_PREFIX = "x-ocp-"


@dataclass
class Identity:
    """Who made a request: `scheme` is "basic", "aksk" or "none"."""

    scheme: str = "none"
    principal: str | None = None  # username (Basic) or access key id (AK/SK), as the request log shows it
    username: str | None = None  # the OCP user acting, e.g. a task's creator
    permissions: frozenset = field(default_factory=frozenset)


def content_md5(body):
    """Upper-case hex MD5 of the body bytes, or "" when there is no body."""
    if not body:
        return ""
    return hashlib.md5(body).hexdigest().upper()


def canonical_query(query_string):
    """Keys sorted, RFC 3986-encoded, repeated keys joined as `a=1,2,3`."""
    values_by_key = {}
    for key, value in urllib.parse.parse_qsl(query_string or "", keep_blank_values=True):
        values_by_key.setdefault(key, []).append(value)
    return "&".join(
        "%s=%s" % (_rfc3986(key), ",".join(_rfc3986(value) for value in values))
        for key, values in sorted(values_by_key.items())
    )


def _rfc3986(text):
    return urllib.parse.quote(text, safe="-_.~")


def canonical_ocp_headers(headers):
    """The x-ocp-* headers as lower-case `key:value` lines sorted by key ("" when there are none)."""
    signed = sorted(
        (name.lower(), value.strip())
        for name, value in headers
        if name.lower().startswith(SIGNED_HEADER_PREFIX)
    )
    return "\n".join("%s:%s" % item for item in signed)


def string_to_sign(method, body, content_type, date, host, headers, path, query_string):
    """The message OCP signs. `headers` is an iterable of (name, value) pairs as sent."""
    query = canonical_query(query_string)
    resource = path + "?" + query if query else path
    return "\n".join([
        method.upper(),
        content_md5(body),
        content_type or "",
        date or "",
        host or "",
        canonical_ocp_headers(headers),
        resource,
    ])


def sign(access_key_secret, message):
    digest = hmac.new(access_key_secret.encode("utf-8"), message.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def aksk_authorization(access_key_id, signature):
    return "%s %s:%s" % (AKSK_SCHEME, access_key_id, signature)


def http_date(moment):
    """RFC 1123 date as the Date header carries it."""
    return email.utils.format_datetime(moment.astimezone(datetime.timezone.utc), usegmt=True)


def presented_scheme(authorization):
    """Which scheme a request claims to use, without verifying anything."""
    scheme = (authorization or "").split(" ", 1)[0]
    if scheme.lower() == "basic":
        return "basic"
    if scheme == AKSK_SCHEME:
        return "aksk"
    return "none"


class Authenticator:
    """Checks credentials against the scenario's `users` and `access_keys`."""

    def __init__(self, users, access_keys):
        self.users = {user["username"]: user for user in users}
        self.access_keys = {key["access_key_id"]: key for key in access_keys}

    def authenticate(self, request_facts, now):
        """Return the Identity of a request or raise ApiError(401).

        `request_facts` is a dict with method, body (bytes), path, query_string and
        headers (a werkzeug Headers or any object with get() and items()).
        """
        headers = request_facts["headers"]
        authorization = headers.get("Authorization", "")
        scheme = presented_scheme(authorization)
        if scheme == "basic":
            return self._basic(authorization)
        if scheme == "aksk":
            return self._aksk(authorization, request_facts, now)
        raise ApiError(401, NOT_LOGGED_IN, "Not logged in: send HTTP Basic or %s credentials." % AKSK_SCHEME)

    def _basic(self, authorization):
        try:
            decoded = base64.b64decode(authorization.split(" ", 1)[1].strip(), validate=True).decode("utf-8")
            username, password = decoded.split(":", 1)
        except (IndexError, ValueError, binascii.Error):
            raise ApiError(401, BAD_CREDENTIALS, "Malformed HTTP Basic credentials.") from None
        user = self.users.get(username)
        if user is None or not hmac.compare_digest(user["password"].encode("utf-8"), password.encode("utf-8")):
            raise ApiError(401, BAD_CREDENTIALS, "Wrong username or password.")
        return Identity("basic", username, username, frozenset(user["permissions"]))

    def _aksk(self, authorization, request_facts, now):
        credential = authorization.split(" ", 1)[1].strip() if " " in authorization else ""
        access_key_id, separator, signature = credential.partition(":")
        if not separator or not access_key_id or not signature:
            raise ApiError(401, BAD_CREDENTIALS, "Malformed %s credentials: expected ACCESS_KEY_ID:SIGNATURE." % AKSK_SCHEME)
        key = self.access_keys.get(access_key_id)
        if key is None:
            raise ApiError(401, BAD_CREDENTIALS, "Unknown access key %s." % access_key_id)

        headers = request_facts["headers"]
        date = headers.get("Date", "")
        if not _date_within_skew(date, now):
            raise ApiError(401, BAD_CREDENTIALS, "Date header missing, invalid or more than 15 minutes from server time.")

        expected = sign(key["access_key_secret"], string_to_sign(
            request_facts["method"], request_facts["body"], headers.get("Content-Type", ""), date,
            headers.get("Host", ""), headers.items(), request_facts["path"], request_facts["query_string"],
        ))
        if not hmac.compare_digest(expected.encode("ascii"), signature.encode("ascii", "replace")):
            raise ApiError(401, BAD_CREDENTIALS, "Signature mismatch for access key %s." % access_key_id)
        user = self.users.get(key["username"], {})
        return Identity("aksk", access_key_id, key["username"], frozenset(user.get("permissions", ())))


def _date_within_skew(date, now):
    try:
        sent = email.utils.parsedate_to_datetime(date)
    except (TypeError, ValueError, IndexError):
        return False
    if sent is None:
        return False
    if sent.tzinfo is None:
        sent = sent.replace(tzinfo=datetime.timezone.utc)
    return abs(sent.timestamp() - now) <= MAX_DATE_SKEW_SECONDS
