#!/usr/bin/env node
// The Node 20 peer of Benchmarks/graph/recon_stream.lua: what a partner would write by hand
// against Microsoft Graph reconciliation v2 with nothing but Node's standard library (no npm).
//
//   client-credentials token (v2 endpoint, scope https://graph.microsoft.com/.default)
//   POST {graph}/reports/partners/billing/reconciliation/billed/export {invoiceId, attributeSet: "full"}
//   -> 202 + Location; GET the operation, honouring Retry-After, until `succeeded`
//   -> the manifest (inline in resourceLocation, or at resourceLocation@odata.navigationLink)
//   -> each blob, one after the other: GET {rootDirectory}/{name}?{sasToken} (no Authorization),
//      fetch() body -> zlib gunzip stream -> split on "\n" -> JSON.parse per line
//   -> totalForCustomer summed per customer and currency, exactly.
//
// Exact sums: see exact.js (BigInt sums of each double's shortest decimal text).
//
// Reads the same PCX_* variables as pcx (PCX_AUTHORITY, PCX_TENANT_ID, PCX_CLIENT_ID,
// PCX_CLIENT_SECRET, PCX_GRAPH_ENDPOINT).
// usage: node Benchmarks/peer/graph-recon.js [INVOICE]
// Prints one line `BENCH {...}` (JSON) for tools/bench.py: lines, seconds, customers, blobs,
// totals {customerId: {currency: "decimal text"}} (the shape recon_stream.lua prints).
'use strict';

const zlib = require('node:zlib');
const { Readable } = require('node:stream');
const { Totals, check, env, clientCredentialsToken } = require('./exact');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function manifestOf(graph, auth, invoice) {
  const res = await fetch(`${graph}/reports/partners/billing/reconciliation/billed/export`, {
    method: 'POST',
    headers: { Authorization: auth, 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ invoiceId: invoice, attributeSet: 'full' }),
  });
  await check(res, 'POST export');
  await res.arrayBuffer();
  if (res.status !== 202 || !res.headers.get('location')) throw new Error(`POST export: expected 202 with Location, got ${res.status}`);
  const location = new URL(res.headers.get('location'), `${graph}/`).href;
  const deadline = Date.now() + 30 * 60 * 1000;
  for (;;) {
    const r = await fetch(location, { headers: { Authorization: auth, Accept: 'application/json' } });
    await check(r, 'GET operation');
    const op = await r.json();
    const status = String(op.status || '').toLowerCase();
    if (status === 'succeeded') {
      if (op.resourceLocation && typeof op.resourceLocation === 'object') return op.resourceLocation;
      const link = op['resourceLocation@odata.navigationLink'] || op.resourceLocation;
      const m = await fetch(link, { headers: { Authorization: auth, Accept: 'application/json' } });
      await check(m, 'GET manifest');
      return m.json();
    }
    if (status === 'failed') throw new Error(`export failed: ${JSON.stringify(op.error || op)}`);
    if (Date.now() > deadline) throw new Error('export not ready after 30 minutes');
    const after = Number(r.headers.get('retry-after'));
    await sleep(Number.isFinite(after) && after > 0 ? after * 1000 : 1000);
  }
}

const totals = new Totals(); // customerId -> currency -> exact sum

let lines = 0;

function onLine(line) {
  if (line.length === 0 || (line.length === 1 && line === '\r')) return;
  const item = JSON.parse(line);
  totals.add(item.customerId ?? '?', item.totalForCustomer ?? 0, String(item.currency ?? 'USD').toUpperCase());
  lines++;
}

async function readBlob(url) {
  const res = await fetch(url); // the SAS token authorizes; no Authorization header
  await check(res, `GET blob ${url.split('?')[0]}`);
  const source = Readable.fromWeb(res.body);
  const gunzip = zlib.createGunzip();
  source.on('error', (err) => gunzip.destroy(err));
  source.pipe(gunzip);
  gunzip.setEncoding('utf8');
  let rest = '';
  for await (const chunk of gunzip) {
    const s = rest + chunk;
    let start = 0;
    for (let nl = s.indexOf('\n'); nl >= 0; nl = s.indexOf('\n', start)) {
      onLine(s.slice(start, nl));
      start = nl + 1;
    }
    rest = s.slice(start);
  }
  onLine(rest);
}

async function main() {
  const invoice = process.argv[2] || 'G100000002';
  const graph = env('PCX_GRAPH_ENDPOINT').replace(/\/+$/, '');
  const t0 = process.hrtime.bigint();
  const auth = `Bearer ${await clientCredentialsToken({ scope: 'https://graph.microsoft.com/.default' })}`;
  const manifest = await manifestOf(graph, auth, invoice);
  const root = String(manifest.rootDirectory).replace(/\/+$/, '');
  const sas = String(manifest.sasToken || '').replace(/^\?/, '');
  const blobs = manifest.blobs || [];
  for (const blob of blobs) {
    await readBlob(`${root}/${blob.name}${sas ? `?${sas}` : ''}`);
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`BENCH ${JSON.stringify({ lines, seconds, customers: totals.size, blobs: blobs.length, totals })}`);
}

main().catch((err) => {
  console.error(`graph-recon.js: ${err && err.stack ? err.stack : err}`);
  process.exit(1);
});
