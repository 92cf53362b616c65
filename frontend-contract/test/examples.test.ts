/**
 * The TypeScript examples run end to end in Node against the BFF (the
 * bearer-token path: no cookies).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, test } from "node:test";
import { root, startBff, type Bff } from "./harness.ts";

const run = promisify(execFile);
let bff: Bff;

before(async () => {
  bff = await startBff("examples");
});

after(async () => {
  await bff?.stop();
});

async function example(file: string): Promise<string> {
  const { stdout } = await run(process.execPath, ["--import", "tsx", join(root, "examples", file)], {
    cwd: root,
    env: { ...process.env, BFF_URL: bff.url },
    timeout: 60_000,
  });
  return stdout;
}

test("examples/browse.ts", async () => {
  const out = await example("browse.ts");
  assert.match(out, /search "pullover": \d+ products/);
  assert.match(out, /variation #\d+/);
  assert.match(out, /error 422 validation_failed/);
});

test("examples/checkout-node.ts (bearer token)", async () => {
  const out = await example("checkout-node.ts");
  assert.match(out, /coupon "nope" refused/);
  assert.match(out, /order #\S+/);
  assert.match(out, /same order/);
  assert.match(out, /confirmation: /);
});

test("examples/account-node.ts (sign-in, refresh, sign-out)", async () => {
  const out = await example("account-node.ts");
  assert.match(out, /wrong password: 401 invalid_credentials/);
  assert.match(out, /signed in as Sam \(customer \d+\); access token for 900 s/);
  assert.match(out, /refreshed: new refresh token rotated/);
  assert.match(out, /after sign-out: 401 invalid_token/);
});
