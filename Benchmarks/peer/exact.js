// What the Node peers share, with nothing but the standard library: exact decimal sums, HTTP
// checks, the PCX_* environment and the client-credentials token.
//
// JSON.parse hands out doubles. Each amount is turned into the shortest decimal text that reads
// back as the same double (String(x), what pcx's money.new does with a float), and that text into
// a BigInt scaled to its decimal places; the sums are BigInts. This is exact for every JSON
// number of up to 15 significant digits (all of Partner Center's and Graph's amounts).
'use strict';

const POW10 = [1n];
for (let i = 1; i <= 40; i++) POW10.push(POW10[i - 1] * 10n);

/** The value of `x` (a number or numeric text) as [coef: BigInt, scale], value = coef / 10^scale. */
function decimalOf(x) {
  let s = typeof x === 'number' ? String(x) : String(x ?? 0);
  let exp = 0;
  const e = s.search(/[eE]/);
  if (e >= 0) {
    exp = Number(s.slice(e + 1));
    s = s.slice(0, e);
  }
  const dot = s.indexOf('.');
  let scale = 0;
  if (dot >= 0) {
    scale = s.length - dot - 1;
    s = s.slice(0, dot) + s.slice(dot + 1);
  }
  let coef = BigInt(s);
  scale -= exp;
  if (scale < 0) {
    coef *= POW10[-scale];
    scale = 0;
  }
  return [coef, scale];
}

/** An exact running sum. */
class Sum {
  constructor() {
    this.coef = 0n;
    this.scale = 0;
  }

  add(amount) {
    const [coef, scale] = decimalOf(amount);
    if (scale === this.scale) {
      this.coef += coef;
    } else if (scale < this.scale) {
      this.coef += coef * POW10[this.scale - scale];
    } else {
      this.coef = this.coef * POW10[scale - this.scale] + coef;
      this.scale = scale;
    }
    return this;
  }

  plus(other) {
    const out = new Sum();
    out.coef = this.coef;
    out.scale = this.scale;
    out.add(other.text());
    return out;
  }

  /** Decimal text without an exponent ("-12.30" keeps its scale). */
  text() {
    const neg = this.coef < 0n;
    let digits = (neg ? -this.coef : this.coef).toString();
    if (this.scale > 0) {
      digits = digits.padStart(this.scale + 1, '0');
      digits = `${digits.slice(0, digits.length - this.scale)}.${digits.slice(digits.length - this.scale)}`;
    }
    return (neg ? '-' : '') + digits;
  }
}

/** Sums keyed by one or two levels (customer, or customer then currency). */
class Totals {
  constructor() {
    this.map = new Map();
  }

  add(key, amount, currency) {
    let entry = this.map.get(key);
    if (currency === undefined) {
      if (!entry) this.map.set(key, (entry = new Sum()));
      entry.add(amount);
      return;
    }
    if (!entry) this.map.set(key, (entry = new Map()));
    let sum = entry.get(currency);
    if (!sum) entry.set(currency, (sum = new Sum()));
    sum.add(amount);
  }

  get size() {
    return this.map.size;
  }

  /** {key: "decimal"} or {key: {currency: "decimal"}}. */
  toJSON() {
    const out = {};
    for (const [key, entry] of this.map) {
      if (entry instanceof Sum) {
        out[key] = entry.text();
      } else {
        out[key] = {};
        for (const [currency, sum] of entry) out[key][currency] = sum.text();
      }
    }
    return out;
  }

  /** The sum of every one-level entry. */
  grand() {
    let total = new Sum();
    for (const entry of this.map.values()) total = total.plus(entry);
    return total;
  }
}

/** Throws with the status and the start of the body unless `res` is 2xx. */
async function check(res, what) {
  if (res.ok) return res;
  const body = await res.text().catch(() => '');
  throw new Error(`${what}: HTTP ${res.status} ${body.slice(0, 300)}`);
}

/** The value of environment variable `name`; throws when it is unset. */
function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}

/**
 * An app-only (client credentials) access token from PCX_AUTHORITY for PCX_TENANT_ID,
 * PCX_CLIENT_ID and PCX_CLIENT_SECRET: `{ scope }` through the v2 endpoint (Graph), or
 * `{ resource }` through the v1 endpoint (Partner Center).
 */
async function clientCredentialsToken({ scope, resource }) {
  const authority = env('PCX_AUTHORITY').replace(/\/+$/, '');
  const path = scope ? 'oauth2/v2.0/token' : 'oauth2/token';
  const form = { grant_type: 'client_credentials', client_id: env('PCX_CLIENT_ID'), client_secret: env('PCX_CLIENT_SECRET') };
  if (scope) form.scope = scope; else form.resource = resource;
  const res = await fetch(`${authority}/${env('PCX_TENANT_ID')}/${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
  await check(res, 'token');
  return (await res.json()).access_token;
}

module.exports = { decimalOf, Sum, Totals, check, env, clientCredentialsToken };
