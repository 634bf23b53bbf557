#!/usr/bin/env node
// `npm run seed`: a few posts by two users (alice, bob) on the local server, made through the API
// itself (so they pass the same validation as any client's), then a token for each user.
// Running it again adds the same posts again.
import { localFetch, localOrigin, localToken } from "./local-server.mjs";

const POSTS = {
  alice: [
    {
      title: "Hello from the edge",
      content: "Routeflare serves this post from D1, through a Next.js Route Handler on a Worker.",
      published: true,
    },
    { title: "Uploads straight to R2", content: "The API signs a URL; the browser sends the bytes to the store.", published: true },
    { title: "Draft: rate limits", content: "Only alice sees this one (GET /api/posts?drafts=true with her token).", published: false },
  ],
  bob: [
    {
      title: "Webhooks, verified",
      content: "Stripe, Standard Webhooks and GitHub deliveries are checked before anything is written.",
      published: true,
    },
    { title: "Streaming chat", content: "POST /api/chat answers with Server-Sent Events.", published: true },
  ],
};

const tokens = {};
for (const [user, posts] of Object.entries(POSTS)) {
  tokens[user] = await localToken(user);
  for (const post of posts) {
    const res = await localFetch("/api/posts", {
      method: "POST",
      headers: { authorization: `Bearer ${tokens[user]}`, "content-type": "application/json" },
      body: JSON.stringify(post),
    });
    const body = await res.json();
    if (res.status !== 201) {
      console.error(`POST /api/posts as ${user} answered ${res.status}:`, body);
      process.exit(1);
    }
    console.log(`${user}: ${body.published ? "published" : "draft    "} ${body.id}  ${body.title}`);
  }
}
console.log(`\nSeeded ${localOrigin()}. Tokens (12 h):`);
for (const [user, token] of Object.entries(tokens)) console.log(`export ${user.toUpperCase()}_TOKEN=${token}`);
