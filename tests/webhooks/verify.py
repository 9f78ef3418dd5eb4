"""Checks one leadpool webhook delivery with the `standardwebhooks` package from PyPI: the
verifier CRMs use, written by others, so a signature bug of ours cannot hide behind a
verifier of ours.

Reads {"secret", "headers", "body"} as JSON on stdin. Prints "verified <type>" and exits 0
when the signature holds; prints why to stderr and exits 1 when it does not.
"""

import json
import sys

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


def main() -> int:
    given = json.load(sys.stdin)
    try:
        event = Webhook(given["secret"]).verify(given["body"], given["headers"])
    except WebhookVerificationError as e:
        print(f"not verified: {e}", file=sys.stderr)
        return 1
    print(f"verified {event['type']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
