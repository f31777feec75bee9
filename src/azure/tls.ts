/**
 * Extra trusted CAs. Node reads NODE_EXTRA_CA_CERTS only when the process starts, but the module
 * starts one long-lived server and the session may point NODE_EXTRA_CA_CERTS at a new file later
 * (Start-AzTokenBridgeEmulator does). So each call's file is added to the default CA list here;
 * TLS connections made afterwards trust it.
 */
import * as fs from "node:fs";
import * as tls from "node:tls";
import { BridgeError } from "../rpc/errors";
import { BridgeErrorCodes } from "../protocol";

let baseline: string[] | undefined;
const extra = new Map<string, string[]>(); // file path -> certificates (PEM)

function splitPem(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

export function trustExtraCaFile(file: string | undefined): void {
  if (!file || extra.has(file)) return;
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new BridgeError(BridgeErrorCodes.InvalidInput, `NODE_EXTRA_CA_CERTS names '${file}', which cannot be read: ${(e as Error).message}`, {
      category: "InvalidArgument",
      errorId: "ExtraCaCertsUnreadable",
      target: "NODE_EXTRA_CA_CERTS",
    });
  }
  const certs = splitPem(text);
  if (certs.length === 0) {
    throw new BridgeError(BridgeErrorCodes.InvalidInput, `NODE_EXTRA_CA_CERTS names '${file}', which holds no PEM certificate.`, {
      category: "InvalidData",
      errorId: "ExtraCaCertsInvalid",
      target: "NODE_EXTRA_CA_CERTS",
    });
  }
  baseline ??= tls.getCACertificates("default");
  extra.set(file, certs);
  tls.setDefaultCACertificates([...baseline, ...[...extra.values()].flat()]);
}
