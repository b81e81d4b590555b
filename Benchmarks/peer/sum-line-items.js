#!/usr/bin/env node
// The Node 20 peer of Benchmarks/peer/sum_line_items.lua (and of the Python peer): what a partner
// would write by hand against Partner Center with nothing but Node's standard library (no npm).
//
//   client-credentials token (v1 endpoint, resource https://api.partnercenter.microsoft.com)
//   GET /v1/invoices/{id}/lineitems?provider=onetime&invoicelineitemtype=billinglineitems&size=2000
//   -> follow links.next (its uri plus its headers: MS-ContinuationToken), one page prefetched:
//      the next page is requested as soon as a page is parsed, before its items are summed
//   -> totalForCustomer summed per customer exactly (exact.js).
//
// Reads the same PCX_* variables as pcx (PCX_ENDPOINT, PCX_AUTHORITY, PCX_TENANT_ID,
// PCX_CLIENT_ID, PCX_CLIENT_SECRET).
// usage: node Benchmarks/peer/sum-line-items.js INVOICE
// Prints `N line items, C customers, total T`, as the Python and Lua peers do.
'use strict';

const { randomUUID } = require('node:crypto');
const { Totals, check, env, clientCredentialsToken } = require('./exact');

async function getPage(url, headers) {
  const res = await fetch(url, { headers: { ...headers, 'MS-RequestId': randomUUID() } });
  await check(res, `GET ${url}`);
  return JSON.parse(await res.text());
}

async function main() {
  const invoice = process.argv[2];
  if (!invoice) throw new Error('usage: sum-line-items.js INVOICE');
  const endpoint = env('PCX_ENDPOINT').replace(/\/+$/, '');
  const headers = { Authorization: `Bearer ${await clientCredentialsToken({ resource: 'https://api.partnercenter.microsoft.com' })}`, Accept: 'application/json' };
  const totals = new Totals();
  let count = 0;
  let pending = getPage(
    `${endpoint}/v1/invoices/${encodeURIComponent(invoice)}/lineitems?provider=onetime&invoicelineitemtype=billinglineitems&size=2000`,
    headers);
  while (pending) {
    const page = await pending;
    const next = page.links && page.links.next;
    pending = null;
    if (next) {
      const uri = next.uri.startsWith('/v1') ? next.uri : `/v1${next.uri}`;
      const extra = {};
      for (const h of next.headers || []) extra[h.key] = h.value;
      pending = getPage(endpoint + uri, { ...headers, ...extra });
    }
    for (const item of page.items || []) {
      totals.add(item.customerId ?? '?', item.totalForCustomer ?? 0);
      count++;
    }
  }
  console.log(`${count} line items, ${totals.size} customers, total ${totals.grand().text()}`);
}

main().catch((err) => {
  console.error(`sum-line-items.js: ${err && err.stack ? err.stack : err}`);
  process.exit(1);
});
