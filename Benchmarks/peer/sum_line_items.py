#!/usr/bin/env python3
"""The Python peer: what a partner would write by hand with `requests`.

Pages through every one-time line item of one invoice (seek paging with MS-ContinuationToken)
and sums totalForCustomer per customer with Decimal. Reads the same PCX_* variables as pcx.
Usage: sum_line_items.py INVOICE_ID
"""
import os
import sys
import uuid
from decimal import Decimal

import requests


def token(session: requests.Session) -> str:
    authority = os.environ["PCX_AUTHORITY"].rstrip("/")
    tenant = os.environ["PCX_TENANT_ID"]
    r = session.post(
        f"{authority}/{tenant}/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": os.environ["PCX_CLIENT_ID"],
            "client_secret": os.environ["PCX_CLIENT_SECRET"],
            "resource": "https://api.partnercenter.microsoft.com",
        },
        timeout=60,
    )
    r.raise_for_status()
    return r.json()["access_token"]


def main() -> int:
    invoice = sys.argv[1]
    endpoint = os.environ["PCX_ENDPOINT"].rstrip("/")
    session = requests.Session()
    headers = {"Authorization": f"Bearer {token(session)}", "Accept": "application/json"}
    url = f"{endpoint}/v1/invoices/{invoice}/lineitems?provider=onetime&invoicelineitemtype=billinglineitems&size=2000"
    totals: dict[str, Decimal] = {}
    count = 0
    extra = {}
    while url:
        r = session.get(url, headers={**headers, **extra, "MS-RequestId": str(uuid.uuid4())}, timeout=120)
        r.raise_for_status()
        page = r.json(parse_float=Decimal)
        for item in page.get("items", []):
            key = item.get("customerId", "?")
            totals[key] = totals.get(key, Decimal(0)) + Decimal(str(item.get("totalForCustomer", 0)))
            count += 1
        nxt = (page.get("links") or {}).get("next")
        if not nxt:
            break
        uri = nxt["uri"]
        if not uri.startswith("/v1"):
            uri = "/v1" + uri
        url = endpoint + uri
        extra = {h["key"]: h["value"] for h in nxt.get("headers", [])}
    grand = sum(totals.values(), Decimal(0))
    print(f"{count} line items, {len(totals)} customers, total {grand}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
