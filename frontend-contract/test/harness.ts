/**
 * Test harness: starts the BFF binary (demo mode) on a free loopback port and
 * launches Debian's Chromium through playwright-core with a fresh profile.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type BrowserContext } from "playwright-core";

export const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const results = join(root, "test-results");
mkdirSync(results, { recursive: true });

/** BFF_BIN, else the newest of target/debug and target/release. */
export function bffBinary(): string {
  if (process.env.BFF_BIN) return resolve(process.env.BFF_BIN);
  const candidates = ["../target/debug/storefront-bff", "../target/release/storefront-bff"]
    .map((p) => resolve(root, p))
    .filter((p) => existsSync(p))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (!candidates[0]) throw new Error("no storefront-bff binary: run `cargo build` first or set BFF_BIN");
  return candidates[0];
}

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.unref();
    server.on("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => ok(port));
    });
  });
}

export interface Bff {
  url: string;
  stop(): Promise<void>;
}

/** Starts the BFF against its embedded demo store and waits until it is ready. */
export async function startBff(name: string): Promise<Bff> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = { ...process.env, LISTEN_ADDR: `127.0.0.1:${port}`, LOG_FORMAT: "text", RUST_LOG: process.env.RUST_LOG ?? "info" };
  delete env.WOO_URL;
  const log = createWriteStream(join(results, `bff-${name}.log`));
  const child: ChildProcess = spawn(bffBinary(), [], { env, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  let exited: string | undefined;
  child.on("exit", (code, signal) => {
    exited = `exited with ${code ?? signal}`;
  });

  const deadline = Date.now() + 90_000;
  for (;;) {
    if (exited) throw new Error(`the BFF ${exited} before it was ready; see test-results/bff-${name}.log`);
    try {
      const health = await fetch(`${url}/healthz`);
      const ready = health.ok ? await fetch(`${url}/readyz`) : undefined;
      if (ready?.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`the BFF did not become ready at ${url}; see test-results/bff-${name}.log`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  return {
    url,
    async stop() {
      if (exited) return;
      const done = new Promise<void>((r) => child.once("exit", () => r()));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await done;
      clearTimeout(timer);
    },
  };
}

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-sync",
];

export interface Browser {
  context: BrowserContext;
  /** Every URL any page of the context asked for. */
  requests: string[];
  close(): Promise<void>;
}

/** Headless Debian Chromium with a fresh profile; records every request. */
export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "chromium-profile-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_BIN ?? "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_ARGS,
    locale: "en-US",
    timezoneId: "UTC",
    viewport: { width: 1280, height: 900 },
  });
  context.setDefaultTimeout(20_000);
  const requests: string[] = [];
  context.on("request", (request) => requests.push(request.url()));
  return {
    context,
    requests,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** URLs that left the machine's loopback address (data:, blob: and about: stay in the browser). */
export function nonLocal(urls: string[]): string[] {
  return urls.filter((raw) => {
    const url = new URL(raw);
    if (["data:", "blob:", "about:"].includes(url.protocol)) return false;
    return url.hostname !== "127.0.0.1";
  });
}
