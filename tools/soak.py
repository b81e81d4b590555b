#!/usr/bin/env python3
"""Reliability soak for pcx purchases (make soak / tools/soak).

Starts `pcx sandbox serve` (release build) with a rate limit and injected faults, then runs
randomized purchases through the shipped playbook, a few processes in parallel:

    pcx playbook run purchase-reserved-vm --profile soak --allow-purchase --json \
        --customer C --subscription S --sku SKU --region R --term T --scope S --quantity N \
        --idempotency-key soak-<seed>-<n>

with PCX_ENDPOINT/PCX_AUTHORITY/PCX_TENANT_ID/PCX_CLIENT_ID/PCX_CLIENT_SECRET/PCX_REFRESH_TOKEN
pointing at the sandbox (the `soak` profile only adds short timeouts and few attempts, so faults
surface as failed runs). Every few runs the fault mix changes (POST /_sandbox/faults). A run that
fails is re-run with the same command, as a person would (bounded). Afterwards, with the faults
cleared, it checks against the sandbox and the journal that exactly the intended orders exist
(zero duplicates, zero lost), that every failed run ended with a clear error (exit 1 or 3 and a
`pcx: <code>: ...` line) and that its intent's journal entry was completed by a re-run.

First, SOAK_PAIRS purchases are each run twice at the same moment (same command, same data
directory): the journal's atomic claim must leave exactly one order per pair.

Environment: SOAK_RUNS (500), SOAK_PAIRS (120 concurrent pairs, within the first 30 % of the
time cap), SOAK_SECONDS (1200: cap for the whole soak, verification included), SOAK_PARALLEL (4), SOAK_SEED (random), SOAK_ATTEMPTS (8 per intent), SOAK_PHASE_RUNS
(25 intents per fault mix), PCX_BIN (default: the release build), SOAK_DOC (docs/SOAK.md; `-` to
skip), SOAK_DIR (work directory, default .build/soak/<time>).
Exit status: 0 when every check passed, 1 otherwise, 2 when the soak could not start.
"""
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from soak_shapes import Shapes
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ERROR_CODES = {"invalid_argument", "unauthenticated", "forbidden", "not_found", "conflict", "throttled",
               "server_error", "network", "timeout", "cancelled", "interrupted", "policy_denied",
               "memory_limit", "script_error", "bought_above_cap", "error"}
ERROR_LINE = re.compile(r"^pcx: ([a-z_]+): \S")


def env_int(name, default):
    try:
        return int(os.environ.get(name, "") or default)
    except ValueError:
        sys.exit(f"tools/soak: {name} must be an integer, got {os.environ[name]!r}")


RUNS = env_int("SOAK_RUNS", 500)
CAP = env_int("SOAK_SECONDS", 1200)
PARALLEL = env_int("SOAK_PARALLEL", 4)
SEED = env_int("SOAK_SEED", random.randrange(1, 1 << 31))
ATTEMPTS = env_int("SOAK_ATTEMPTS", 8)
PHASE_RUNS = env_int("SOAK_PHASE_RUNS", 25)
RUN_TIMEOUT = env_int("SOAK_RUN_TIMEOUT", 180)
PAIRS = env_int("SOAK_PAIRS", 120)
RATE_LIMIT = os.environ.get("SOAK_RATE_LIMIT", "partner=25/1s,customer=6/1s")
BASE_FAULTS = os.environ.get("SOAK_BASE_FAULTS", "*=rate:0.02:503")
# a truncated 200 on checkout in every fault mix (it is in the menu anyway); see docs/SOAK.md
MALFORMED_CHECKOUT = os.environ.get("SOAK_MALFORMED_CHECKOUT", "") not in ("", "0")
SHAPES = os.environ.get("SOAK_SHAPES", "1") not in ("", "0")
REQUEST_TIMEOUT = 4          # seconds, in the soak profile: a delay=6s fault is a client timeout
rng = random.Random(SEED)


def log(msg):
    print(f"[soak {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ---- fault mixes --------------------------------------------------------------------------------

def fault_mix(r):
    """A random fault spec: 2-4 rules from the menu, rates drawn at random."""
    menu = [
        lambda: f"carts.checkout=rate:{r.uniform(0.3, 0.7):.2f}:drop-after",
        lambda: f"carts.create=rate:{r.uniform(0.3, 0.7):.2f}:drop-after",
        lambda: f"carts.checkout=rate:{r.uniform(0.2, 0.5):.2f}:drop-before",
        lambda: f"carts.checkout=rate:{r.uniform(0.3, 0.7):.2f}:{r.choice([500, 502, 503, 504])}",
        lambda: f"carts.checkout={r.randint(3, 6)}*drop-after",       # outlasts the client's retries: failed runs
        lambda: f"carts.checkout={r.randint(3, 6)}*503",
        lambda: f"carts.create={r.randint(3, 5)}*drop-after",
        lambda: f"carts.create=rate:{r.uniform(0.2, 0.5):.2f}:{r.choice([500, 503])}",
        lambda: f"orders.get=rate:{r.uniform(0.2, 0.5):.2f}:{r.choice([500, 503, 504])}",
        lambda: f"orders.get=rate:{r.uniform(0.05, 0.2):.2f}:malformed",
        lambda: f"carts.checkout=rate:{r.uniform(0.05, 0.2):.2f}:malformed",
        lambda: f"customers.get=rate:{r.uniform(0.1, 0.4):.2f}:429",
        lambda: f"entitlements.list=rate:{r.uniform(0.1, 0.4):.2f}:503",
        lambda: f"subscriptions.registration_status=rate:{r.uniform(0.1, 0.4):.2f}:expired-token",
        lambda: f"carts.get=rate:{r.uniform(0.1, 0.3):.2f}:delay=6s",
        lambda: f"availabilities.list=rate:{r.uniform(0.1, 0.3):.2f}:delay=6s",
        lambda: f"*=rate:{r.uniform(0.03, 0.12):.2f}:503",
        lambda: f"*=rate:{r.uniform(0.03, 0.12):.2f}:429",
        lambda: f"*=rate:{r.uniform(0.02, 0.08):.2f}:expired-token",
        lambda: f"*=rate:{r.uniform(0.01, 0.04):.2f}:delay=6s",
        lambda: f"*=rate:{r.uniform(0.02, 0.06):.2f}:drop-before",
        lambda: f"*=rate:{r.uniform(0.02, 0.06):.2f}:drop-after",
    ]
    rules, routes = [], set()
    for pick in r.sample(menu, r.randint(2, 4)):
        rule = pick()
        route = rule.split("=", 1)[0]
        if route in routes:
            continue
        routes.add(route)
        rules.append(rule)
    if MALFORMED_CHECKOUT:   # every mix: the checkout answers are sometimes truncated
        rules = [x for x in rules if not x.startswith("carts.checkout=")] + [f"carts.checkout=rate:{r.uniform(0.05, 0.2):.2f}:malformed"]
    return ";".join(rules)


# ---- the sandbox ----------------------------------------------------------------------------------

class Sandbox:
    def __init__(self, pcx, workdir, rate_limit=RATE_LIMIT, faults=BASE_FAULTS):
        os.makedirs(workdir, exist_ok=True)
        self.log_path = os.path.join(workdir, "sandbox.log")
        args = [pcx, "sandbox", "serve", "--port", "0", "--seed", str(SEED % 1000 + 1), "--order-lag", "1s",
                "--registration-delay", "1s", "--rate-limit", rate_limit, "--faults", faults]
        self.command = " ".join(args)
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=open(self.log_path, "wb"), text=True)
        self.env = {}
        deadline = time.time() + 120
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            line = line.strip()
            if not line:
                break
            k, _, v = line.partition("=")
            self.env[k] = v
        if "PCX_ENDPOINT" not in self.env:
            self.stop()
            raise SystemExit(f"tools/soak: the sandbox did not start (see {self.log_path})")
        self.base = self.env["PCX_ENDPOINT"]
        self._token = None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def admin(self, method, path, body=None):
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        req = urllib.request.Request(self.base + "/_sandbox/" + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            text = r.read()
            return json.loads(text) if text else None

    def set_faults(self, spec):
        return self.admin("POST", "faults", {"spec": spec})["spec"]

    def token(self):
        if self._token is None:
            form = urllib.parse.urlencode({
                "grant_type": "client_credentials", "client_id": self.env["PCX_CLIENT_ID"],
                "client_secret": self.env["PCX_CLIENT_SECRET"], "resource": "https://api.partnercenter.microsoft.com",
            }).encode()
            url = f"{self.env['PCX_AUTHORITY']}/{self.env['PCX_TENANT_ID']}/oauth2/token"
            with urllib.request.urlopen(urllib.request.Request(url, data=form, method="POST"), timeout=60) as r:
                self._token = json.loads(r.read())["access_token"]
        return self._token

    def get(self, path, tries=10):
        """GET /v1 path with an App-only token, retried (faults may still be on)."""
        last = None
        for i in range(tries):
            try:
                req = urllib.request.Request(self.base + "/v1" + path, headers={
                    "Authorization": "Bearer " + self.token(), "Accept": "application/json"})
                with urllib.request.urlopen(req, timeout=60) as r:
                    return json.loads(r.read())
            except Exception as e:   # noqa: BLE001 - injected faults come in every shape
                last = e
                if isinstance(e, urllib.error.HTTPError) and e.code == 401:
                    self._token = None
                time.sleep(0.2 * (i + 1))
        raise RuntimeError(f"GET {path} failed {tries} times: {last}")

    def orders(self, customer):
        out, path = [], f"/customers/{customer}/orders"
        while path:
            page = self.get(path)
            out.extend(page.get("items", []))
            nxt = (page.get("links") or {}).get("next")
            path = None
            if nxt and nxt.get("uri"):
                uri = nxt["uri"]
                path = uri[3:] if uri.startswith("/v1") else uri
        return out


# ---- runs -----------------------------------------------------------------------------------------

class Intent:
    def __init__(self, n, customer, subscription, sku, region, term, scope, quantity):
        self.n, self.customer, self.subscription = n, customer, subscription
        self.sku, self.region, self.term, self.scope, self.quantity = sku, region, term, scope, quantity
        self.key = f"soak-{SEED}-{n}"
        self.attempts = []      # dicts: rc, first error line, code, seconds, resumed, replayed
        self.order_id = None
        self.completed = False

    def args(self):
        return ["playbook", "run", "purchase-reserved-vm", "--profile", "soak", "--allow-purchase", "--json",
                "--customer", self.customer, "--subscription", self.subscription, "--sku", self.sku,
                "--region", self.region, "--term", self.term, "--scope", self.scope,
                "--quantity", str(self.quantity), "--wait", "120", "--idempotency-key", self.key]


def error_of(lines):
    """The run's error line and its code: `pcx: CODE: ...`, or with --json `{"error": {"code": ...}}`."""
    for line in lines:
        m = ERROR_LINE.match(line)
        if m:
            return line, m.group(1)
        if line.startswith('{"error":'):
            try:
                return line, json.loads(line)["error"]["code"]
            except (ValueError, KeyError, TypeError):
                return line, None
    return None, None


def run_once(pcx, env, intent, logdir):
    start = time.time()
    try:
        p = subprocess.run([pcx] + intent.args(), env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT,
                           errors="replace")
        rc, out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        rc, out, err = -9, e.stdout or "", (e.stderr or "") + "\n[soak: killed after the run timeout]"
        if isinstance(out, bytes):
            out = out.decode(errors="replace")
        if isinstance(err, bytes):
            err = err.decode(errors="replace")
    secs = time.time() - start
    lines = err.splitlines()
    error_line, code = error_of(lines)
    a = {"rc": rc, "seconds": round(secs, 2), "error": error_line, "code": code,
         "first_line": lines[0] if lines else "",
         "resumed": any("resuming unfinished purchase" in l for l in lines),
         "replayed": any("already bought on" in l for l in lines)}
    if rc == 0:
        try:
            doc = json.loads(out)
            a["order"] = (doc.get("order") or {}).get("id")
            a["journal_id"] = doc.get("journal_id")
        except ValueError:
            a["bad_stdout"] = out[:300]
    else:
        with open(os.path.join(logdir, f"{intent.key}-attempt{len(intent.attempts) + 1}.log"), "w") as f:
            f.write(f"$ pcx {' '.join(intent.args())}\nexit {rc}\n--- stdout\n{out}\n--- stderr\n{err}\n")
    return a


def main():
    pcx = os.environ.get("PCX_BIN") or os.path.join(ROOT, ".build", "release", "pcx")
    if not os.access(pcx, os.X_OK):
        sys.exit(f"tools/soak: no pcx binary at {pcx} (make release, or set PCX_BIN)")
    workdir = os.environ.get("SOAK_DIR") or os.path.join(ROOT, ".build", "soak", time.strftime("%Y%m%d-%H%M%S"))
    logdir = os.path.join(workdir, "failed-runs")
    os.makedirs(logdir, exist_ok=True)
    data_dir, config_dir = os.path.join(workdir, "data"), os.path.join(workdir, "config")
    os.makedirs(config_dir, exist_ok=True)
    with open(os.path.join(config_dir, "profiles.toml"), "w") as f:
        f.write(f"""# written by tools/soak: endpoint and credentials come from PCX_* (they override a profile)
[profile.soak]
endpoint = "http://127.0.0.1:1"
request_timeout = {REQUEST_TIMEOUT}
connect_timeout = 2
max_attempts = 3
retry_budget = 20
""")
    t0 = time.time()
    log(f"seed {SEED}, {RUNS} runs, {PARALLEL} in parallel, cap {CAP}s, pcx {pcx}, work dir {workdir}")
    sandbox = Sandbox(pcx, workdir)
    ok = False
    try:
        ok = soak(pcx, sandbox, workdir, logdir, data_dir, config_dir, t0)
    finally:
        sandbox.stop()
    sys.exit(0 if ok else 1)


def run_shapes(pcx, workdir, config_dir):
    """The regression shapes (tools/soak_shapes.py) against their own sandbox: one customer, one SKU."""
    root = os.path.join(workdir, "shapes")
    sandbox = Sandbox(pcx, root, rate_limit="off", faults="none")
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PCX_")}
        env.update(sandbox.env)
        env.update({"PCX_CONFIG_DIR": config_dir, "PCX_DATA_DIR": os.path.join(root, "pick")})
        p = subprocess.run([pcx, "run", os.path.join(ROOT, "tools", "soak-pick.lua"), "1", "1"], env=env,
                           capture_output=True, text=True)
        pick = json.loads(p.stdout) if p.returncode == 0 else {}
        if not pick.get("customers"):
            log(f"shapes: no customer to buy for ({p.stderr.strip()[:200]})")
            return [Shapes.failure("setup", "soak-pick.lua found no customer for the shapes")]
        c = pick["customers"][0]
        k = pick["skus"][c["country"]][0]
        target = (c["id"], c["subscriptions"][0]["id"], k["sku"], k["region"], (k["terms"] or ["1Year"])[0])
        log(f"regression shapes on customer {c['id']} ({k['sku']} {k['region']} {target[4]})")
        return Shapes(pcx, sandbox, env, root, target, log).run_all()
    finally:
        sandbox.stop()


def soak(pcx, sandbox, workdir, logdir, data_dir, config_dir, t0):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PCX_")}
    env.update(sandbox.env)
    env.update({"PCX_DATA_DIR": data_dir, "PCX_CONFIG_DIR": config_dir})

    # 1. what to buy (retried: the base fault rate is on)
    pick = None
    for attempt in range(6):
        p = subprocess.run([pcx, "run", "--profile", "soak", os.path.join(ROOT, "tools", "soak-pick.lua"), "16", "10"],
                           env=env, capture_output=True, text=True)
        if p.returncode == 0:
            pick = json.loads(p.stdout)
            break
        log(f"soak-pick.lua failed (exit {p.returncode}): {p.stderr.splitlines()[0] if p.stderr else ''}; again")
    if not pick or not pick["customers"]:
        log("could not list customers and SKUs to buy")
        return False
    # 1a. the regression shapes, each an exact sequence of faults, on a sandbox of their own
    # without a rate limit (a 429 must not stand in for the fault a shape scripts)
    shapes = run_shapes(pcx, workdir, config_dir) if SHAPES else []
    customers = pick["customers"]
    baseline = {c["id"]: {o["id"] for o in sandbox.orders(c["id"])} for c in customers}
    log(f"{len(customers)} customers in {len(pick['skus'])} markets; "
        f"{sum(len(v) for v in pick['skus'].values())} SKU/region pairs; baseline orders {sum(map(len, baseline.values()))}")

    intents = []
    for n in range(RUNS):
        c = rng.choice(customers)
        s = rng.choice(c["subscriptions"])
        k = rng.choice(pick["skus"][c["country"]])
        intents.append(Intent(n, c["id"], s["id"], k["sku"], k["region"], rng.choice(k["terms"] or ["1Year"]),
                              rng.choice(["Shared", "Single"]), rng.choice([1, 1, 1, 2, 3, 5])))

    # 1b. concurrent runs of the same purchase: two processes with the same command at once, in
    # the one data directory (the journal claims the purchase atomically: one order per pair)
    pairs = []
    for n in range(PAIRS):
        c = rng.choice(customers)
        s = rng.choice(c["subscriptions"])
        k = rng.choice(pick["skus"][c["country"]])
        pairs.append(Intent(f"pair-{n}", c["id"], s["id"], k["sku"], k["region"], rng.choice(k["terms"] or ["1Year"]),
                            rng.choice(["Shared", "Single"]), rng.choice([1, 2, 3])))
    pairs_stop = t0 + CAP * 0.3

    def pair_worker(intent):
        if time.time() > pairs_stop:
            return
        with ThreadPoolExecutor(2) as both:
            for a in both.map(lambda _: run_once(pcx, env, intent, logdir), range(2)):
                a["concurrent"] = True
                intent.attempts.append(a)
        ok = [a for a in intent.attempts if a["rc"] == 0]
        for _ in range(ATTEMPTS):
            if ok:
                break
            a = run_once(pcx, env, intent, logdir)
            intent.attempts.append(a)
            ok = [a] if a["rc"] == 0 else []
        if ok:
            intent.completed = True
            intent.order_id = ok[0].get("order")
        done = sum(1 for i in pairs if i.attempts)
        if done % 25 == 0:
            log(f"{done} concurrent pairs done, {time.time() - t0:.0f}s")

    if pairs:
        log(f"{len(pairs)} purchases, each run twice at the same moment")
        with ThreadPoolExecutor(max(1, PARALLEL // 2)) as pool:
            list(pool.map(pair_worker, pairs))
    intents = pairs + intents

    phases = []       # (first intent n, spec)
    lock = threading.Lock()
    stop_at = t0 + CAP * 0.8
    started = [0]

    def worker(intent):
        if intent.attempts:
            return        # a concurrent pair, run above
        with lock:
            if time.time() > stop_at:
                return
            if started[0] % PHASE_RUNS == 0:
                spec = fault_mix(rng)
                installed = sandbox.set_faults(spec)
                phases.append({"from": intent.n, "spec": installed})
                log(f"run {intent.n}: fault mix {installed}")
            started[0] += 1
        for _ in range(ATTEMPTS):
            a = run_once(pcx, env, intent, logdir)
            intent.attempts.append(a)
            if a["rc"] == 0:
                intent.completed = True
                intent.order_id = a.get("order")
                break
            time.sleep(0.3)
        done = sum(1 for i in intents if i.attempts)
        if done % 25 == 0:
            log(f"{done} runs done, {time.time() - t0:.0f}s")

    with ThreadPoolExecutor(PARALLEL) as pool:
        list(pool.map(worker, intents))
    soak_end = time.time()

    # 2. clear the faults; the person re-runs what never completed, once, with the same command
    sandbox.admin("DELETE", "faults")
    ran = [i for i in intents if i.attempts]
    gave_up = [i for i in ran if not i.completed]
    for i in gave_up:
        a = run_once(pcx, env, i, logdir)
        a["after_incident"] = True
        i.attempts.append(a)
        if a["rc"] == 0:
            i.completed, i.order_id = True, a.get("order")

    # 3. verify: orders at the sandbox, the journal, the request log
    sandbox.admin("POST", "clock", {"advance": "1h"})     # past --order-lag: every order is listed
    time.sleep(1.5)
    return report(sandbox, intents, ran, gave_up, phases, baseline, data_dir, workdir, t0, soak_end, shapes)


def report(sandbox, intents, ran, gave_up, phases, baseline, data_dir, workdir, t0, soak_end, shapes):
    checks = []

    def check(name, passed, detail=""):
        checks.append((name, passed, detail))

    for shape in shapes:
        check(f"shape `{shape.name}` ({shape.runs} runs)", shape.passed, "; ".join(shape.problems)[:300])

    by_customer = defaultdict(list)
    for i in ran:
        by_customer[i.customer].append(i)
    new_orders = {}
    for cid in baseline:
        new_orders[cid] = {o["id"]: o for o in sandbox.orders(cid) if o["id"] not in baseline[cid]}
    all_new = {oid: (cid, o) for cid, m in new_orders.items() for oid, o in m.items()}

    db = sqlite3.connect(f"file:{os.path.join(data_dir, 'journal.sqlite')}?mode=ro", uri=True)
    rows = db.execute("select idempotency_key, state, outcome, request_id, cart_id from journal where operation='carts.checkout'").fetchall()
    journal = defaultdict(list)
    for key, state, outcome, request_id, cart_id in rows:
        journal[key].append({"state": state, "outcome": outcome, "request_id": request_id, "cart": cart_id})
    other_ops = Counter(r[0] for r in db.execute("select operation || ':' || state from journal where operation != 'carts.checkout'"))

    lost, dup, mismatched, journal_problems = [], [], [], []
    claimed = Counter()
    for i in ran:
        entries = journal.get(i.key, [])
        done = [e for e in entries if e["state"] == "succeeded"]
        j_orders = []
        for e in done:
            try:
                j_orders += [o["id"] for o in json.loads(e["outcome"]).get("orders", [])]
            except (ValueError, TypeError, AttributeError):
                journal_problems.append(f"{i.key}: outcome is not JSON")
        if len(done) != 1 or len(j_orders) != 1:
            journal_problems.append(f"{i.key}: {len(done)} succeeded checkout entries, {len(j_orders)} orders "
                                    f"(states {[e['state'] for e in entries]})")
        oid = i.order_id or (j_orders[0] if j_orders else None)
        if i.order_id and j_orders and i.order_id != j_orders[0]:
            journal_problems.append(f"{i.key}: the run printed order {i.order_id}, the journal has {j_orders[0]}")
        if not oid or oid not in all_new:
            lost.append(i.key)
            continue
        claimed[oid] += 1
        _, o = all_new[oid]
        line = (o.get("lineItems") or [{}])[0]
        ctx = line.get("provisioningContext") or {}
        if (line.get("quantity") != i.quantity or o.get("referenceCustomerId", i.customer).lower() != i.customer.lower()
                or (ctx.get("subscriptionId") or "").lower() != i.subscription.lower()
                or (ctx.get("scope") or "").lower() != i.scope.lower()
                or line.get("termDuration") != ("P1Y" if i.term == "1Year" else "P3Y")
                or len(o.get("lineItems") or []) != 1):
            mismatched.append(f"{i.key}: order {oid} is {line.get('quantity')} x {line.get('offerId')} {ctx}, "
                              f"intended {i.quantity} x {i.sku}/{i.region}/{i.term}/{i.scope}")
    extra = [oid for oid in all_new if claimed[oid] == 0]
    dup = [oid for oid, n in claimed.items() if n > 1]
    intended = len(ran)
    check("every intent completed (after re-runs)", not gave_up or all(i.completed for i in gave_up),
          f"{sum(1 for i in ran if i.completed)}/{intended}")
    check("no lost purchase: every intent's order exists at the sandbox", not lost, ", ".join(lost[:5]))
    check("no duplicate: no order without an intent, no order claimed twice", not extra and not dup,
          f"{len(extra)} extra orders {extra[:5]}, {len(dup)} claimed twice")
    check("order count at the sandbox == intents", len(all_new) == intended, f"{len(all_new)} new orders for {intended} intents")
    check("every order matches its intent (quantity, subscription, scope, term)", not mismatched, "; ".join(mismatched[:3]))
    check("journal: exactly one succeeded checkout per intent, with its order", not journal_problems,
          "; ".join(journal_problems[:3]))

    failed_attempts = [(i, a) for i in ran for a in i.attempts if a["rc"] != 0]
    unclear = [(i.key, a["rc"], a["first_line"]) for i, a in failed_attempts
               if a["rc"] not in (1, 3) or not a["code"] or a["code"] not in ERROR_CODES]
    check("every failed run exited 1 or 3 with an error line (`pcx: <code>: ...`, or `{\"error\": ...}` with --json)", not unclear,
          "; ".join(f"{k} exit {rc}: {l[:100]}" for k, rc, l in unclear[:3]))
    first_is_error = sum(1 for _, a in failed_attempts if a["first_line"] == a["error"])
    failed_intents = [i for i in ran if any(a["rc"] != 0 for a in i.attempts)]
    not_completed = [i.key for i in failed_intents
                     if not i.completed or not any(e["state"] == "succeeded" for e in journal.get(i.key, []))]
    check("every failed run's intent was completed by a re-run (journal entry succeeded)", not not_completed,
          ", ".join(not_completed[:5]))

    log_entries = sandbox.admin("GET", "requests")["requests"]
    faults = Counter(e["fault"] for e in log_entries if e.get("fault"))
    statuses = Counter(e["status"] for e in log_entries)
    checkouts = [e for e in log_entries if e["route"] == "carts.checkout"]
    mutating_checkouts = [e for e in checkouts if e["mutated"] and not e["replayed"]]
    pair_runs = [i for i in ran if any(a.get("concurrent") for a in i.attempts)]
    split = [i.key for i in pair_runs
             if len({a.get("order") for a in i.attempts if a["rc"] == 0 and a.get("order")}) > 1]
    check(f"concurrent runs of one purchase: one order per pair ({len(pair_runs)} pairs run at the same moment)",
          not split and len(pair_runs) >= min(PAIRS, 100) if PAIRS else True,
          f"{len(split)} pairs reported two orders {split[:5]}; {len(pair_runs)} pairs ran")
    check("the sandbox committed exactly one checkout per intent", len(mutating_checkouts) == intended,
          f"{len(mutating_checkouts)} committed checkouts, {sum(1 for e in checkouts if e['replayed'])} replayed")

    wall = soak_end - t0
    attempts = sum(len(i.attempts) for i in ran)
    codes = Counter(a["code"] or f"exit {a['rc']}" for _, a in failed_attempts)
    resumed = sum(1 for i in ran for a in i.attempts if a["resumed"])
    replayed = sum(1 for i in ran for a in i.attempts if a["replayed"])
    secs = sorted(a["seconds"] for i in ran for a in i.attempts if a["rc"] == 0)
    pct = (lambda q: secs[min(len(secs) - 1, int(q * len(secs)))] if secs else 0)
    passed = all(p for _, p, _ in checks)
    per_customer = Counter(i.customer for i in ran)

    lines = []
    w = lines.append
    w("# Soak: randomized purchases under injected faults\n")
    w("Generated by `make soak` (`tools/soak`, `tools/soak.py`, `tools/soak-pick.lua`); the figures below are from "
      f"the run of {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(t0))}. Re-run it to regenerate this file.\n")
    w("## What it does\n")
    w("1. Starts `pcx sandbox serve` from the release build with a tight `--rate-limit` and a base fault rate, and a "
      "`soak` profile in `profiles.toml` that only shortens timeouts (`request_timeout = 4`, `max_attempts = 3`) so "
      "faults surface as failed runs; endpoint and credentials come from `PCX_ENDPOINT`, `PCX_AUTHORITY`, "
      "`PCX_TENANT_ID`, `PCX_CLIENT_ID`, `PCX_CLIENT_SECRET`, `PCX_REFRESH_TOKEN`.")
    w("2. Picks customers in allowed markets with active MS-AZR-0145P subscriptions and SKU/region pairs of their "
      "market's catalog (`tools/soak-pick.lua`), then makes random intents: customer, subscription, SKU, region, "
      "term, scope, quantity, each with its own `--idempotency-key`.")
    w("2a. Regression shapes (`tools/soak_shapes.py`, `tools/soak-shapes.lua`), on a customer of their own, each in "
      "its own journal, before the randomized soak: a committed checkout whose connection dropped and whose pinned "
      "retry got 400, 401 twice, 403, 404 or 412 (never `failed`; the re-run buys nothing more); the same purchase "
      "through five spellings of the endpoint (one order); a checkout of cart B resuming an unfinished purchase on "
      "cart A while another coroutine updates A (A is locked; one 1-unit order); a resume whose cart A grew to 10 "
      "units since (refused without consent, then bought as a new 1-unit purchase, never A); one `yes` at a terminal "
      "for a script that buys three times (asked again; one order). `SOAK_SHAPES=0` skips them.")
    w(f"2b. Concurrency: {PAIRS} purchases are each run by two processes started at the same moment with the same "
      "command in the same data directory; the journal claims a purchase atomically, so each pair must end with "
      "one order that both runs report (the second resumes the first's checkout or returns its result).")
    w(f"3. Runs `pcx playbook run purchase-reserved-vm --allow-purchase --json ...` for each, {PARALLEL} processes in "
      f"parallel sharing one data directory (one journal), changing the fault mix every {PHASE_RUNS} intents with "
      f"`POST /_sandbox/faults`. A failed run is re-run with the same command (up to {ATTEMPTS} times).")
    w("4. Clears the faults, re-runs (once) any intent that never completed, advances the sandbox clock past the "
      "order lag, and checks the orders of every customer at the sandbox, the journal and the sandbox's request log.\n")
    w("```sh\nmake soak                                   # SOAK_RUNS=500, capped at SOAK_SECONDS=1200\n"
      "SOAK_RUNS=100 SOAK_PARALLEL=3 SOAK_SEED=7 tools/soak   # smaller, reproducible intents and fault mixes\n```\n")
    w("Environment: `SOAK_RUNS` (500), `SOAK_PAIRS` (120), `SOAK_SECONDS` (1200, whole soak; new intents stop at 80 %), `SOAK_PARALLEL` "
      "(4), `SOAK_SEED`, `SOAK_ATTEMPTS` (8), `SOAK_PHASE_RUNS` (25), `SOAK_RATE_LIMIT`, `SOAK_BASE_FAULTS`, "
      "`PCX_BIN`, `SOAK_DOC` (`-` to skip writing this file). Failed runs' full output is kept under "
      "`.build/soak/<time>/failed-runs/`. Exit status 0 only when every check passed.\n")
    w("## Result\n")
    requested = RUNS + PAIRS
    w(f"**{'PASS' if passed else 'FAIL'}**: seed {SEED}, {intended} intents of {requested} requested "
      f"({RUNS} runs + {PAIRS} concurrent pairs; {'all' if intended >= requested else 'stopped by the time cap'}), "
      f"{attempts} pcx runs, "
      f"{len(failed_attempts)} failed runs re-run, {len(gave_up)} intents needed the after-incident re-run; "
      f"soak {wall:.0f}s, total {time.time() - t0:.0f}s.\n")
    w("| check | result | detail |\n|---|---|---|")
    for name, p, detail in checks:
        w(f"| {name} | {'pass' if p else '**FAIL**'} | {detail.replace('|', '/')} |")
    w("")
    w("## Figures\n")
    w("| figure | value |\n|---|---|")
    for k, v in [
        ("intents (distinct idempotency keys)", intended),
        ("customers bought for", len(per_customer)),
        ("units bought", sum(i.quantity for i in ran if i.completed)),
        ("pcx runs (first runs + re-runs)", attempts),
        ("failed runs (re-run with the same command)", len(failed_attempts)),
        ("  of which the error line was the first stderr line", first_is_error),
        ("intents with at least one failed run", len(failed_intents)),
        ("runs that resumed an unfinished checkout (same MS-RequestId)", resumed),
        ("runs that found the purchase already completed in the journal", replayed),
        ("intents completed only after the faults were cleared", len(gave_up)),
        ("new orders at the sandbox", len(all_new)),
        ("requests served by the sandbox", len(log_entries)),
        ("checkout requests (committed / replayed by MS-RequestId)",
         f"{len(checkouts)} ({len(mutating_checkouts)} / {sum(1 for e in checkouts if e['replayed'])})"),
        ("HTTP 429 answers (rate limit + injected)", statuses.get(429, 0)),
        ("successful run duration p50 / p90 / max (s)", f"{pct(0.5)} / {pct(0.9)} / {secs[-1] if secs else 0}"),
        ("other journal entries (operation:state)", ", ".join(f"{k} {v}" for k, v in sorted(other_ops.items()))),
    ]:
        w(f"| {k} | {v} |")
    w("")
    w("Failed runs by error code: " + (", ".join(f"`{k}` {v}" for k, v in codes.most_common()) or "none") + "\n")
    w("Faults injected (from `GET /_sandbox/requests`): " +
      (", ".join(f"`{k}` {v}" for k, v in faults.most_common()) or "none") + "\n")
    w(f"Sandbox: `{sandbox.command}`\n")
    w("Fault mixes (`POST /_sandbox/faults`, from intent n on):\n")
    for ph in phases:
        w(f"- {ph['from']}: `{ph['spec']}`")
    w("")
    examples = {}
    for i, a in failed_attempts:
        if a["code"] and a["code"] not in examples:
            examples[a["code"]] = a["error"]
    if examples:
        w("Example error lines of failed runs:\n")
        w("```")
        for v in examples.values():
            w(v[:220])
        w("```\n")
    w("## A truncated 200 on checkout (fixed; `SOAK_MALFORMED_CHECKOUT=1` puts it in every mix)\n")
    w("With `carts.checkout=malformed` the sandbox commits the order and answers 200 with a truncated body. Until "
      "2026-12 pcx journaled such a checkout `succeeded` with the unreadable body as its outcome, and every re-run "
      "replayed that body: the intent could never complete. Now the client checks that the answer of a declared JSON "
      "operation is a whole JSON document; an unreadable answer to a change is a `server_error` whose outcome is "
      "unknown, the journal keeps the entry `unknown`, and the re-run re-sends the same MS-RequestId and gets the "
      "stored order. The fault is in the menu of every soak (`carts.checkout=rate:R:malformed`).\n")
    w(f"Mode: {'ON' if MALFORMED_CHECKOUT else 'off'} in this run.\n")
    text = "\n".join(lines) + "\n"
    print("\n" + text)
    doc = os.environ.get("SOAK_DOC", os.path.join(ROOT, "docs", "SOAK.md"))
    if doc != "-":
        os.makedirs(os.path.dirname(doc), exist_ok=True)
        with open(doc, "w") as f:
            f.write(text)
        log(f"wrote {doc}")
    with open(os.path.join(workdir, "intents.json"), "w") as f:
        json.dump([{"key": i.key, "customer": i.customer, "attempts": i.attempts, "order": i.order_id} for i in ran], f, indent=1)
    return passed


if __name__ == "__main__":
    main()
