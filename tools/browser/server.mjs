// Starts `apptrust serve --demo` on a free loopback port with a fresh SQLite file, and reads
// its address and the demo's tokens from the banner it prints.
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");
const binary = process.env.APPTRUST_BIN ?? join(root, "target/debug/apptrust");

export async function startDemo() {
  const dir = mkdtempSync(join(tmpdir(), "apptrust-browser-"));
  const child = spawn(
    binary,
    ["serve", "--demo", "--database", join(dir, "demo.db"), "--listen", "127.0.0.1:0"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let banner = "";
  const ready = new Promise((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner in 60 s:\n${banner}`)), 60_000);
    child.stdout.on("data", (chunk) => {
      banner += chunk;
      if (/site admin:\s+apt_\w+/.test(banner)) {
        clearTimeout(timer);
        resolveReady();
      }
    });
    child.on("exit", (code) => reject(new Error(`apptrust exited (${code}):\n${banner}`)));
  });
  child.stderr.on("data", () => {});
  await ready;
  const url = banner.match(/listening on (http:\/\/\S+)/)[1];
  const token = (role) => banner.match(new RegExp(`${role}:\\s+(apt_\\w+)`))[1];
  return {
    url,
    tokens: { staff: token("staff"), partner: token("partner"), siteAdmin: token("site admin") },
    stop: () => child.kill("SIGTERM"),
  };
}
