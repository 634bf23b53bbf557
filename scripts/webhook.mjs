#!/usr/bin/env node
// `npm run webhook -- <stripe|standard|github> [event type]`: one correctly signed test delivery
// to the local server, signed with the secret that server holds (.dev.vars, else this checkout's
// generated one: scripts/dev-secrets.mjs), with each sender's own reference signer where one
// exists on npm. Prints the answer; a Stripe checkout.session.completed also shows the order row
// it wrote (read from the local database with `wrangler d1 execute --local`).
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { execFileSync } from "node:child_process";
import { Webhook } from "standardwebhooks";
import Stripe from "stripe";
import { localFetch, localOrigin, localSecret } from "./local-server.mjs";
import { bin, root } from "./toolchain.mjs";

const USAGE = `Usage: npm run webhook -- <stripe|standard|github> [event type]

Sends one signed test delivery to ${localOrigin()}/api/webhooks/<sender> and prints the answer.
Default event types: stripe checkout.session.completed (then shows the order it created),
standard user.created, github push.`;

const now = () => Math.floor(Date.now() / 1000);
const rid = (prefix) => `${prefix}_local_${randomBytes(8).toString("hex")}`;

/** A Stripe object for the event type: the fields the Worker reads for the types it handles. */
function stripeObject(type) {
  if (type.startsWith("checkout.session."))
    return {
      id: rid("cs"),
      object: "checkout.session",
      customer: "cus_local_alice",
      amount_total: 2500,
      currency: "eur",
      payment_status: "paid",
    };
  if (type.startsWith("customer.subscription."))
    return {
      id: rid("sub"),
      object: "subscription",
      customer: "cus_local_alice",
      status: type.endsWith(".deleted") ? "canceled" : "active",
      items: { object: "list", data: [{ id: rid("si"), current_period_end: now() + 30 * 86400 }] },
    };
  return { id: rid("obj"), object: type.split(".")[0] };
}

const SENDERS = {
  stripe: (type = "checkout.session.completed") => {
    const object = stripeObject(type);
    const payload = JSON.stringify({ id: rid("evt"), object: "event", type, created: now(), livemode: false, data: { object } });
    const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret: localSecret("STRIPE_WEBHOOK_SECRET") });
    return { payload, headers: { "stripe-signature": signature }, object };
  },
  standard: (type = "user.created") => {
    const id = rid("msg");
    const at = new Date();
    const payload = JSON.stringify({ type, timestamp: at.toISOString(), data: { id: rid("user"), name: "Alice" } });
    const signature = new Webhook(localSecret("STANDARD_WEBHOOK_SECRET")).sign(id, at, payload);
    return {
      payload,
      headers: { "webhook-id": id, "webhook-timestamp": String(Math.floor(at.getTime() / 1000)), "webhook-signature": signature },
    };
  },
  github: (type = "push") => {
    const payload = JSON.stringify({ ref: "refs/heads/main", repository: { full_name: "routeflare/demo" }, sender: { login: "alice" } });
    const signature = `sha256=${createHmac("sha256", localSecret("GITHUB_WEBHOOK_SECRET")).update(payload).digest("hex")}`;
    return { payload, headers: { "x-github-event": type, "x-github-delivery": randomUUID(), "x-hub-signature-256": signature } };
  },
};

const [sender, type, ...extra] = process.argv.slice(2);
if (sender === "--help" || sender === "-h") {
  console.log(USAGE);
  process.exit(0);
}
if (!Object.hasOwn(SENDERS, sender ?? "") || extra.length > 0) {
  console.error(USAGE);
  process.exit(2);
}
const { payload, headers, object } = SENDERS[sender](type);
const res = await localFetch(`/api/webhooks/${sender}`, {
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body: payload,
});
console.log(`POST /api/webhooks/${sender} → ${res.status}\n${await res.text()}`);
if (!res.ok) process.exit(1);

if (object?.object === "checkout.session" && (type ?? "checkout.session.completed") === "checkout.session.completed") {
  // The id is ours ([a-z0-9_] only), so it can sit in the SQL text.
  const sql = `SELECT * FROM orders WHERE id = '${object.id}'`;
  console.log(describeOrder(object.id, sql));
}

/**
 * The order as `npm start`'s local database (.wrangler/state) holds it. A server started some
 * other way (a test harness, `wrangler dev --persist-to …`) keeps its own database: then say how
 * to look, rather than fail a delivery that was accepted.
 */
function describeOrder(id, sql) {
  try {
    const out = execFileSync(bin("wrangler"), ["d1", "execute", "DB", "--local", "--json", "--command", sql], {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    const order = JSON.parse(out)[0]?.results?.[0];
    if (order) return `order in the local database:\n${JSON.stringify(order, null, 2)}`;
  } catch {
    // No migrated local database here: the server keeps its state elsewhere.
  }
  return `no order ${id} in this checkout's local database (.wrangler/state); if the server keeps its state elsewhere, look there:\n  npx wrangler d1 execute DB --local --command "${sql}"`;
}
