"""Schemathesis hooks for paicha's CI: the API's error contract as a check.

Schemathesis counts a GraphQL error as the server's fault unless its code is one it knows
from Apollo (BAD_USER_INPUT …). paicha answers a missing object with NOT_FOUND and a request
that conflicts with the register's state with CONFLICT, both the caller's to act on; this
check lets those through and fails on everything else: an HTTP 5xx, an error without an
`extensions.code`, or any other code (INTERNAL above all).
"""

import schemathesis

CLIENT_CODES = {"BAD_USER_INPUT", "NOT_FOUND", "CONFLICT"}


@schemathesis.check
def paicha_error_contract(ctx, response, case):
    if response.status_code >= 500:
        raise AssertionError(f"HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError as err:
        raise AssertionError(f"not JSON: {err}") from err
    payloads = body if isinstance(body, list) else [body]
    for payload in payloads:
        for error in (payload or {}).get("errors") or []:
            code = (error.get("extensions") or {}).get("code")
            if code not in CLIENT_CODES:
                raise AssertionError(f"error with code {code!r}: {error.get('message')!r}")
    return None
