/**
 * Client certificates for ClientCertificateCredential, which reads PEM only: a PEM file is passed
 * as it is (with its password, for an encrypted key); a PFX/PKCS#12 file is converted to PEM (leaf
 * certificate first, then the rest of the chain, then the unencrypted PKCS#8 key) in memory with
 * node-forge. Nothing is written to disk. Conversions are cached by a hash of the file's bytes and
 * the password, so a changed file is read anew.
 */
import { createHash, createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";
import * as fs from "node:fs";
import forge from "node-forge";
import { BridgeErrorCodes } from "../protocol";
import { BridgeError } from "../rpc/errors";

export interface LoadedCertificate {
  /** PEM: certificate(s) and private key, for `new ClientCertificateCredential(t, c, { certificate })`. */
  pem: string;
  /** Password for an encrypted PEM key (only for PEM files; a PFX comes out unencrypted). */
  pemPassword?: string;
  /** SHA-256 of the file and password: part of the identity key (never the secret itself). */
  fingerprint: string;
  format: "PEM" | "PFX";
}

const converted = new Map<string, string>(); // sha256(file bytes, password) -> PEM
const MAX_CONVERTED = 32;

function certificateError(message: string, errorId: string, target: string): BridgeError {
  return new BridgeError(BridgeErrorCodes.AuthenticationFailed, message, {
    category: "AuthenticationError",
    errorId,
    target,
    recommendedAction: "Give a PEM file with the certificate and its private key, or a PFX file and its password.",
  });
}

const toPem = (type: string, der: string): string => forge.pem.encode({ type, body: der }).replace(/\r\n/g, "\n");

/** Converts PKCS#12 bytes to PEM (leaf certificate first). Throws a plain Error with a reason. */
export function pfxToPem(bytes: Buffer, password: string | undefined): string {
  let asn1: forge.asn1.Asn1;
  try {
    asn1 = forge.asn1.fromDer(forge.util.createBuffer(bytes.toString("binary")));
  } catch (e) {
    throw new Error(`it is neither a PEM file nor a PKCS#12/PFX file (${(e as Error).message ?? String(e)})`);
  }
  // Without a password: OpenSSL and .NET protect the file with the empty password, node-forge and
  // some tools with none at all; try both.
  const candidates: (string | undefined)[] = password !== undefined ? [password] : ["", undefined];
  let p12: forge.pkcs12.Pkcs12Pfx | undefined;
  let failure = "";
  for (const candidate of candidates) {
    try {
      p12 = forge.pkcs12.pkcs12FromAsn1(asn1, false, candidate as string);
      break;
    } catch (e) {
      failure = (e as Error).message ?? String(e);
    }
  }
  if (!p12) {
    if (/MAC could not be verified|wrong password|Invalid password/i.test(failure)) {
      throw new Error(password ? "the password is wrong" : "it is protected by a password: set the password too");
    }
    throw new Error(`it is neither a PEM file nor a PKCS#12/PFX file that can be read (${failure})`);
  }
  const { oids } = forge.pki;
  const keyBags = [
    ...(p12.getBags({ bagType: oids.pkcs8ShroudedKeyBag })[oids.pkcs8ShroudedKeyBag] ?? []),
    ...(p12.getBags({ bagType: oids.keyBag })[oids.keyBag] ?? []),
  ];
  const certBags = p12.getBags({ bagType: oids.certBag })[oids.certBag] ?? [];
  if (keyBags.length === 0) throw new Error("it holds no private key");
  if (certBags.length === 0) throw new Error("it holds no certificate");

  const keyBag = keyBags[0];
  const keyPem = keyBag.key
    ? forge.pki.privateKeyInfoToPem(forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(keyBag.key)))
    : toPem("PRIVATE KEY", forge.asn1.toDer(keyBag.asn1!).getBytes());
  const certPems = certBags.map((b) =>
    b.cert ? forge.pki.certificateToPem(b.cert) : toPem("CERTIFICATE", forge.asn1.toDer(b.asn1!).getBytes()),
  );

  // The certificate of the key first: ClientCertificateCredential takes the first one's thumbprint.
  const keySpki = createPublicKey(createPrivateKey(keyPem)).export({ type: "spki", format: "der" });
  const leaf = certPems.findIndex((c) => new X509Certificate(c).publicKey.export({ type: "spki", format: "der" }).equals(keySpki));
  if (leaf < 0) throw new Error("none of its certificates belongs to its private key");
  const ordered = [certPems[leaf], ...certPems.filter((_, i) => i !== leaf)];
  return [...ordered, keyPem].map((p) => p.replace(/\r\n/g, "\n").trim()).join("\n") + "\n";
}

/**
 * Reads a client certificate file (PEM or PFX) for a service principal. `target` names where the
 * path came from (AZURE_CLIENT_CERTIFICATE_PATH or DefaultProfile) for the error.
 */
export function loadClientCertificate(file: string, password: string | undefined, target: string): LoadedCertificate {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw certificateError(
      `The client certificate '${file}' (${target}) cannot be read: ${code === "ENOENT" ? "there is no such file" : (code ?? (e as Error).message)}.`,
      "CertificateUnreadable",
      target,
    );
  }
  const fingerprint = createHash("sha256").update(bytes).update("\0").update(password ?? "").digest("hex");
  const text = bytes.toString("utf8").replace(/^\uFEFF/, "");
  if (/-----BEGIN [A-Z0-9 ]+-----/.test(text)) {
    if (!/-----BEGIN CERTIFICATE-----/.test(text)) {
      throw certificateError(`The client certificate '${file}' (${target}) is a PEM file without a certificate.`, "CertificateInvalid", target);
    }
    if (!/-----BEGIN (RSA |EC |ENCRYPTED )?PRIVATE KEY-----/.test(text)) {
      throw certificateError(
        `The client certificate '${file}' (${target}) has no private key: the PEM file must hold the certificate and its private key.`,
        "CertificateInvalid",
        target,
      );
    }
    return { pem: text, pemPassword: password, fingerprint, format: "PEM" };
  }
  let pem = converted.get(fingerprint);
  if (!pem) {
    try {
      pem = pfxToPem(bytes, password);
    } catch (e) {
      throw certificateError(`The client certificate '${file}' (${target}) cannot be used: ${(e as Error).message}.`, "CertificateInvalid", target);
    }
    if (converted.size >= MAX_CONVERTED) converted.delete(converted.keys().next().value!);
    converted.set(fingerprint, pem);
  }
  return { pem, fingerprint, format: "PFX" };
}
