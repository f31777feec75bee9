import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "..", "..");

function rid(): string {
  const os = process.platform === "win32" ? "win" : process.platform === "darwin" ? "osx" : "linux";
  return `${os}-${process.arch}`;
}

/** The packaged server built by `npm run build` (the e2e and protocol tests run against it). */
export const SERVER_BINARY = path.join(ROOT, "module", "bin", rid(), process.platform === "win32" ? "aztokenbridge.exe" : "aztokenbridge");
export const MODULE_MANIFEST = path.join(ROOT, "module", "AzTokenBridge.psd1");
