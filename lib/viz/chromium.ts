/**
 * Headless Chromium for the kit's static renderings (notebook plots as PNG) and the
 * browser tests: Debian's `chromium` package (or `$CHROMIUM_PATH`), driven by
 * playwright-core. Chromium is optional: only `deno task nb --update / --slim` and the
 * browser tests need it, and they say how to install it when it is missing.
 * @module
 */
import { type Browser, chromium } from "playwright-core";

/** The Chromium binary: `$CHROMIUM_PATH`, else /usr/bin/chromium. */
export function chromiumPath(): string {
  return Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";
}

/** How to install Chromium, for messages. */
export const CHROMIUM_INSTALL =
  "apt-get install -y chromium (Debian/Ubuntu), or set CHROMIUM_PATH to a Chromium or Chrome binary";

/** Flags for a headless Chromium that asks the network for nothing. */
export const CHROMIUM_ARGS: readonly string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  // Without these Chromium keeps opening connections that a closed network refuses.
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** Chromium is not installed where the kit looks for it. */
export class ChromiumMissingError extends Error {
  constructor(path: string) {
    super(`Chromium is not installed at ${path}: ${CHROMIUM_INSTALL}`);
    this.name = "ChromiumMissingError";
  }
}

/** Why Chromium cannot be used (a short reason), or null when it is there. */
export async function chromiumMissing(path = chromiumPath()): Promise<string | null> {
  try {
    if (!(await Deno.stat(path)).isFile) return `${path} is not a file`;
  } catch {
    return `no Chromium at ${path}`;
  }
  return null;
}

/** Starts headless Chromium; throws {@linkcode ChromiumMissingError} when it is not there. */
export async function launchChromium(path = chromiumPath()): Promise<Browser> {
  if (await chromiumMissing(path) != null) throw new ChromiumMissingError(path);
  return await chromium.launch({ executablePath: path, args: [...CHROMIUM_ARGS] });
}
