# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""OCP's AK/SK request signing (``OCP-ACCESS-KEY-HMACSHA1``), as a ``requests`` auth hook.

The signing rule and its published test vectors are in docs/ocp-api.md, "Authentication".
"""

from __future__ import absolute_import, division, print_function

import base64
import email.utils
import hashlib
import hmac
import time

from urllib.parse import parse_qsl, quote, urlsplit

try:
    import urllib3
    from requests.auth import AuthBase
except ImportError:  # client.py reports the missing library; keep this module importable
    AuthBase = object


def content_md5(body):
    """Upper-case hex MD5 of the exact body bytes, "" without a body (OCP's signing rule)."""
    if not body:
        return ""
    if not isinstance(body, bytes):
        body = body.encode("utf-8")
    return hashlib.md5(body).hexdigest().upper()


def canonical_query(query):
    """OCP's canonical query: keys sorted, RFC 3986-encoded, the values of a repeated key joined as ``a=1,2``."""
    values_by_key = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        values_by_key.setdefault(key, []).append(quote(value, safe="-_.~"))
    return "&".join(
        "%s=%s" % (quote(key, safe="-_.~"), ",".join(values)) for key, values in sorted(values_by_key.items())
    )


def string_to_sign(method, body_md5, content_type, date, host, ocp_headers, path, query):
    """The text OCP's AK/SK scheme signs; ``ocp_headers`` is a mapping of the ``x-ocp-*`` headers.

    The header part keeps its line even when there are no ``x-ocp-*`` headers (OCP's published vectors).
    """
    header_lines = "\n".join(
        "%s:%s" % (name, value) for name, value in sorted((name.lower(), value) for name, value in ocp_headers.items())
    )
    resource = path + ("?" + canonical_query(query) if query else "")
    return "\n".join([method.upper(), body_md5, content_type, date, host, header_lines, resource])


def sign(secret, text):
    """base64(HMAC-SHA1(secret, text))."""
    digest = hmac.new(secret.encode("utf-8"), text.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def host_header(url):
    """The Host header for ``url`` as http.client would send it: the port only when it is not the default."""
    parts = urllib3.util.parse_url(url)
    default_port = {"http": 80, "https": 443}.get(parts.scheme)
    if parts.port is None or parts.port == default_port:
        return parts.host
    return "%s:%d" % (parts.host, parts.port)


class OcpAccessKeyAuth(AuthBase):
    """OCP's ``OCP-ACCESS-KEY-HMACSHA1`` signature over the exact prepared request.

    Runs when requests prepares a request, so each request, and so each poll, gets a fresh ``Date``; OCP rejects
    a Date more than 15 minutes from its clock. ``clock`` returns epoch seconds (tests pin it).
    """

    def __init__(self, access_key_id, access_key_secret, clock=time.time):
        self.access_key_id = access_key_id
        self._secret = access_key_secret
        self._clock = clock

    def __repr__(self):
        return "OcpAccessKeyAuth(access_key_id=%r)" % self.access_key_id

    def __call__(self, request):
        # Pin the Host header to the value we sign: urllib3 then sends it as is.
        request.headers["Host"] = host_header(request.url)
        request.headers["Date"] = email.utils.formatdate(self._clock(), usegmt=True)
        url = urlsplit(request.url)
        ocp_headers = dict((name, value) for name, value in request.headers.items() if name.lower().startswith("x-ocp-"))
        text = string_to_sign(
            request.method,
            content_md5(request.body),
            request.headers.get("Content-Type", ""),
            request.headers["Date"],
            request.headers["Host"],
            ocp_headers,
            url.path or "/",
            url.query,
        )
        request.headers["Authorization"] = "OCP-ACCESS-KEY-HMACSHA1 %s:%s" % (self.access_key_id, sign(self._secret, text))
        return request
