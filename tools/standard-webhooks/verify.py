"""Verifies one webhook delivery with Standard Webhooks' published library, as a receiver would.

Reads {"secret": "whsec_...", "headers": {"webhook-id": ..., ...}, "body": "<raw body>"} on
standard input; prints the verified payload's `type` and exits 0, or prints why not and exits 1.
"""
import json
import sys

from standardwebhooks.webhooks import Webhook

request = json.load(sys.stdin)
try:
    payload = Webhook(request["secret"]).verify(request["body"], request["headers"])
except Exception as error:  # the library raises its own WebhookVerificationError
    print(f"refused: {error!r}")
    sys.exit(1)
print(payload["type"])
