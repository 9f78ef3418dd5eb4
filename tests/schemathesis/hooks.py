"""Schemathesis hooks for tests/schemathesis/run (loaded through SCHEMATHESIS_HOOKS).

The run signs in as one admin with one API token. Left alone, a generated request could
demote, scope, deactivate or re-password that admin or revoke its token (an admin may do all
of that to a fellow admin), and every later request would be answered 401 or 403: documented
answers, so the run would pass while testing nothing past that point. A change aimed at the
run's own account therefore goes to its twin, a second admin made for the purpose, so the
request is still sent and still checked, just never at the credentials the run stands on.
"""

import os

import schemathesis

SELF_ID = os.environ["LEADPOOL_FUZZ_SELF_ID"]
TWIN_ID = os.environ["LEADPOOL_FUZZ_TWIN_ID"]
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@schemathesis.hook
def before_call(context, case, kwargs):
    if case.method.upper() in SAFE_METHODS or not case.operation.path.startswith("/api/v1/users/{id}"):
        return
    if str((case.path_parameters or {}).get("id")) == SELF_ID:
        case.path_parameters["id"] = int(TWIN_ID)
