"""The regression shapes of `make soak`: money lost in ways the randomized soak does not draw.

Each shape is an exact sequence of faults and runs that once bought twice, bought the wrong thing
or bought without consent (issue 17, items 1, 2, 4, 5 and 7). They run before the randomized soak,
against a sandbox of their own without a rate limit (a 429 must not stand in for the fault a shape
scripts), each in its own data directory (its own journal), on one customer. Every shape counts the
orders Partner Center committed from the sandbox's request log and the customer's orders.
"""
import json
import os
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "tools", "soak-shapes.lua")
RUN_TIMEOUT = 180


class Result:
    def __init__(self, name):
        self.name, self.problems, self.runs = name, [], 0

    def expect(self, condition, problem):
        if not condition:
            self.problems.append(problem)
        return condition

    @property
    def passed(self):
        return not self.problems


class Shapes:
    def __init__(self, pcx, sandbox, env, workdir, target, log):
        self.pcx, self.sandbox, self.base_env, self.log = pcx, sandbox, env, log
        self.workdir = workdir
        self.customer, self.subscription, self.sku, self.region, self.term = target
        self.results = []

    @staticmethod
    def failure(name, problem):
        result = Result(name)
        result.problems.append(problem)
        return result

    # ---- plumbing ---------------------------------------------------------------------------

    def env(self, name, **extra):
        env = dict(self.base_env)
        env["PCX_DATA_DIR"] = os.path.join(self.workdir, name, "data")
        env.update(extra)
        return env

    def run(self, result, env, args, stdin=None, executable=None):
        result.runs += 1
        command = executable or [self.pcx] + args
        try:
            p = subprocess.run(command, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT,
                               errors="replace", input=stdin)
            out = (p.returncode, p.stdout, p.stderr)
        except subprocess.TimeoutExpired:
            out = (-9, "", "[soak: killed after the run timeout]")
        with open(os.path.join(self.workdir, f"{result.name}.log"), "a") as f:
            f.write(f"$ {' '.join(command)}\nexit {out[0]}\n--- stdout\n{out[1]}\n--- stderr\n{out[2]}\n\n")
        return out

    def lua(self, result, env, mode, *args, flags=()):
        target = [self.customer, self.subscription, self.sku, self.region, self.term]
        rest = list(args) if mode == "grow" else target + list(args)
        return self.run(result, env, ["run", *flags, SCRIPT, mode, *rest])

    def committed(self, since):
        """Checkouts Partner Center committed (not replays) for the shapes' customer since `since`."""
        log = self.sandbox.admin("GET", f"requests?route=carts.checkout&mutated=true&since={since}")["requests"]
        return [e for e in log if not e.get("replayed") and self.customer.lower() in e["path"].lower()]

    def sequence(self):
        log = self.sandbox.admin("GET", "requests")["requests"]
        return log[-1]["sequence"] if log else 0

    def units_since(self, before):
        """Units in each order created for the customer since the order ids `before`."""
        new = [o for o in self.orders() if o["id"] not in before]
        return sorted(sum(l.get("quantity", 0) for l in o.get("lineItems") or []) for o in new)

    def orders(self):
        """The customer's orders, every one listed (the clock moved past the sandbox's --order-lag)."""
        self.sandbox.admin("POST", "clock", {"advance": "5s"})
        return self.sandbox.orders(self.customer)

    def order_ids(self):
        return {o["id"] for o in self.orders()}

    def checkout_states(self, env):
        code, out, _ = self.run(Result("journal"), env, ["journal", "list", "--json", "--limit", "500"])
        entries = json.loads(out) if code == 0 and out.strip() else []
        return [e.get("state") for e in entries if e.get("operation") == "carts.checkout"]

    @staticmethod
    def cart_of(stderr):
        return next((l[5:].strip() for l in stderr.splitlines() if l.startswith("cart ")), None)

    def shape(self, name, faults, body):
        os.makedirs(os.path.join(self.workdir, name, "data"), exist_ok=True)
        result = Result(name)
        self.sandbox.set_faults(faults)
        since, before = self.sequence(), self.order_ids()
        try:
            body(result, self.env(name), since, before)
        except Exception as e:  # noqa: BLE001 - a shape that breaks is a failed shape, with why
            result.problems.append(f"{type(e).__name__}: {e}")
        finally:
            self.sandbox.set_faults("none")
        self.results.append(result)
        self.log(f"shape {name}: {'pass' if result.passed else 'FAIL ' + '; '.join(result.problems)}")
        return result

    # ---- the shapes ---------------------------------------------------------------------------

    def run_all(self):
        os.makedirs(self.workdir, exist_ok=True)
        self.sandbox.set_faults("none")
        r = Result("setup")
        code, _, err = self.lua(r, self.env("setup"), "register", flags=["--allow-purchase"])
        if code != 0:
            r.problems.append(f"could not register the shapes' subscription: {err.strip()[:200]}")
            self.results.append(r)
            return self.results
        for status in ("400", "expired-token,expired-token", "403", "404", "412"):
            self.committed_then_definitive(status)
        self.endpoint_spellings()
        self.resume_locks_the_resumed_cart()
        self.resume_rechecks_the_held_cart()
        self.one_yes_one_purchase()
        return self.results

    def committed_then_definitive(self, status):
        """Item 1: committed, connection dropped, the pinned retry answered 4xx: never `failed`."""
        def body(r, env, since, before):
            code, _, err = self.lua(r, env, "buy", flags=["--allow-purchase"])
            first = self.sandbox.admin("GET", f"requests?route=carts.checkout&since={since}")["requests"][:1]
            r.expect(first and first[0]["mutated"] and first[0].get("fault") == "drop-after",
                     f"the premise did not hold: the first checkout was not committed and dropped ({first})")
            r.expect("check PCX" not in err and "credentials" not in err.lower(),
                     "the first run blamed the credentials")
            states = self.checkout_states(env)
            r.expect("failed" not in states, f"journal states {states}: a committed checkout was called failed")
            self.sandbox.set_faults("none")
            code, out, err = self.lua(r, env, "buy", flags=["--allow-purchase"])
            r.expect(code == 0, f"the re-run exited {code}: {err.strip()[-200:]}")
            n = len(self.committed(since))
            r.expect(n == 1, f"{n} orders committed for one purchase")
            r.expect(self.units_since(before) == [1], "the customer does not hold exactly one 1-unit order")
        name = "committed-then-" + status.replace("expired-token,expired-token", "401x2")
        return self.shape(name, f"carts.checkout=drop-after,{status}", body)

    def endpoint_spellings(self):
        """Item 2: the same purchase through other spellings of the endpoint buys nothing more."""
        def body(r, env, since, before):
            code, _, err = self.lua(r, env, "buy", flags=["--allow-purchase"])
            r.expect(code == 0, f"the first purchase exited {code}: {err.strip()[-200:]}")
            base = self.base_env["PCX_ENDPOINT"].rstrip("/")
            scheme, rest = base.split("://", 1)
            for spelling in (base + "/", base.replace("127.0.0.1", "localhost"), scheme.upper() + "://" + rest,
                             base + "/v1"):
                code, out, err = self.lua(r, dict(env, PCX_ENDPOINT=spelling), "buy", flags=["--allow-purchase"])
                replayed = code == 0 and json.loads(out.strip().splitlines()[-1]).get("replayed")
                r.expect(bool(replayed), f"{spelling}: exit {code}, not a replay: {(out + err).strip()[-200:]}")
            n = len(self.committed(since))
            r.expect(n == 1, f"{n} orders committed for one purchase under five spellings")
        return self.shape("endpoint-spellings", "none", body)

    def unfinished_purchase(self, r, env):
        """A purchase whose every checkout attempt was dropped (the shape's faults): its cart A."""
        code, _, err = self.lua(r, env, "buy", flags=["--allow-purchase"])
        cart_a = self.cart_of(err)
        r.expect(code != 0 and cart_a, f"the first run should fail with its cart named (exit {code})")
        return cart_a

    def resume_locks_the_resumed_cart(self):
        """Item 4: checking out cart B resumes the purchase on cart A and locks A, not B."""
        def body(r, env, since, before):
            cart_a = self.unfinished_purchase(r, env)
            self.sandbox.set_faults("carts.checkout=delay=3s;invoices.balance=delay=1s")
            code, out, err = self.lua(r, env, "parallel", cart_a or "", flags=["--allow-purchase", "--max-quantity", "5"])
            r.expect(code == 0 and "bought " in out, f"the parallel run exited {code}: {(out + err).strip()[-200:]}")
            r.expect("cannot be changed while this run checks it out" in out,
                     f"the update of cart A was not refused: {out.strip()[-200:]}")
            units = self.units_since(before)
            r.expect(units == [1], f"orders of {units} units; one order of one unit was meant")
        return self.shape("resume-locks-cart-a", "carts.checkout=6*drop-before", body)

    def resume_rechecks_the_held_cart(self):
        """Item 5: cart A grew to 10 units since; the re-run does not buy A, B goes through the gate."""
        def body(r, env, since, before):
            cart_a = self.unfinished_purchase(r, env)
            self.sandbox.set_faults("none")
            code, _, err = self.lua(r, env, "grow", self.customer, cart_a or "", "10", flags=["--allow-purchase"])
            r.expect(code == 0, f"growing cart A exited {code}: {err.strip()[-200:]}")
            code, _, err = self.lua(r, env, "buy")
            r.expect(code == 3, f"without consent the new purchase exited {code}, not 3")
            r.expect(not self.committed(since), "an order was placed without consent")
            code, _, err = self.lua(r, env, "buy", flags=["--allow-purchase"])
            r.expect(code == 0, f"the consented re-run exited {code}: {err.strip()[-200:]}")
            r.expect("did not buy anything" in err, "the re-run did not say the unfinished purchase bought nothing")
            units = self.units_since(before)
            r.expect(units == [1], f"orders of {units} units; cart A's 10 units must never be bought")
        return self.shape("resume-rechecks-cart", "carts.checkout=6*drop-before", body)

    def one_yes_one_purchase(self):
        """Item 7: one "yes" at the terminal is for one purchase; the second asks again."""
        def body(r, env, since, before):
            inner = " ".join(f"'{a}'" for a in [self.pcx, "run", SCRIPT, "three", self.customer, self.subscription,
                                                 self.sku, self.region, self.term])
            code, out, err = self.run(r, env, [], stdin="yes\n",
                                      executable=["/usr/bin/script", "-qec", inner, "/dev/null"])
            asked = out.count("Type 'yes' to buy")
            r.expect(asked == 2, f"asked {asked} times; the first and second purchase must each ask")
            r.expect("bought\t1" in out and "bought\t2" not in out, "not exactly the first purchase was bought")
            n = len(self.committed(since))
            r.expect(n == 1, f"{n} orders committed after one yes")
        return self.shape("one-yes-one-purchase", "none", body)
