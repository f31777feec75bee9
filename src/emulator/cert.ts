/**
 * The emulator's TLS certificate (self-signed, for 127.0.0.1 / localhost / ::1).
 * The same RSA key pair signs the access tokens (RS256), so the JWKS `x5c` is the TLS certificate.
 */
import { createHash, createPrivateKey, createPublicKey, KeyObject, randomBytes, X509Certificate } from "crypto";
import { promises as fs } from "fs";
import * as path from "path";
import { generate } from "selfsigned";
import { emulatorFolderPrefix } from "./staleFolders";

export interface EmulatorCertificate {
  certPem: string;
  keyPem: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** base64 DER, as in a JWKS `x5c` entry. */
  derBase64: string;
  /** base64url SHA-1 thumbprint of the DER; used as JWT `kid` and `x5t` (Entra ID's convention). */
  x5t: string;
  /** RSA modulus and exponent, base64url. */
  n: string;
  e: string;
}

export async function createEmulatorCertificate(): Promise<EmulatorCertificate> {
  const notBeforeDate = new Date(Date.now() - 24 * 3600 * 1000);
  const notAfterDate = new Date(Date.now() + 365 * 24 * 3600 * 1000);
  const pems = await generate(
    [
      { name: "commonName", value: "127.0.0.1" },
      { name: "organizationName", value: "AzTokenBridge local Azure emulator" },
      // Unique per certificate. A client that trusted an earlier emulator's certificate (the module's
      // long-lived server adds each NODE_EXTRA_CA_CERTS file it sees) would otherwise hold two trust
      // anchors with the same subject, and OpenSSL may pick the wrong one: "self-signed certificate".
      { shortName: "OU", value: `emulator ${randomBytes(8).toString("hex")}` },
    ],
    {
      keySize: 2048,
      algorithm: "sha256",
      notBeforeDate,
      notAfterDate,
      extensions: [
        // A self-signed certificate that is also its own trust anchor: marked as a CA so that
        // every TLS stack (OpenSSL via NODE_EXTRA_CA_CERTS, .NET, curl --cacert) accepts it.
        { name: "basicConstraints", cA: true, critical: true },
        { name: "keyUsage", digitalSignature: true, keyEncipherment: true, keyCertSign: true, critical: true },
        { name: "extKeyUsage", serverAuth: true },
        {
          name: "subjectAltName",
          altNames: [
            { type: 2, value: "localhost" },
            { type: 7, ip: "127.0.0.1" },
            { type: 7, ip: "::1" },
          ],
        },
      ],
    },
  );
  const certPem = pems.cert;
  const keyPem = pems.private;
  const x509 = new X509Certificate(certPem);
  const der = x509.raw;
  const privateKey = createPrivateKey(keyPem);
  const publicKey = createPublicKey(privateKey);
  const jwk = publicKey.export({ format: "jwk" });
  if (typeof jwk.n !== "string" || typeof jwk.e !== "string") throw new Error("certificate key is not RSA");
  return {
    certPem,
    keyPem,
    privateKey,
    publicKey,
    derBase64: der.toString("base64"),
    x5t: createHash("sha1").update(der).digest("base64url"),
    n: jwk.n,
    e: jwk.e,
  };
}

/** A client certificate for an app registration (certificate credential), with its private key. */
export interface ClientCertificate {
  certPem: string;
  /** Unencrypted PKCS#8 (`-----BEGIN PRIVATE KEY-----`). */
  keyPem: string;
}

/**
 * A self-signed client-authentication certificate (RSA 2048, SHA-256), like the ones
 * `New-SelfSignedCertificate` / `openssl req -x509` make for app registrations.
 */
export async function createClientCertificate(commonName: string): Promise<ClientCertificate> {
  const pems = await generate([{ name: "commonName", value: commonName }], {
    keySize: 2048,
    algorithm: "sha256",
    notBeforeDate: new Date(Date.now() - 24 * 3600 * 1000),
    notAfterDate: new Date(Date.now() + 365 * 24 * 3600 * 1000),
    extensions: [
      { name: "basicConstraints", cA: false, critical: true },
      { name: "keyUsage", digitalSignature: true, critical: true },
      { name: "extKeyUsage", clientAuth: true },
    ],
  });
  // selfsigned already emits PKCS#8; re-export anyway so the format is guaranteed.
  const keyPem = createPrivateKey(pems.private).export({ format: "pem", type: "pkcs8" }).toString();
  return { certPem: pems.cert, keyPem };
}

/**
 * Writes `certificate + private key` (that order) into `dir` as one PEM file, readable by the owner
 * only: the format @azure/identity's ClientCertificateCredential({ certificatePath }) reads.
 */
export async function writeClientCertificateFile(dir: string, cert: ClientCertificate, name = "client-certificate.pem"): Promise<string> {
  const file = path.join(dir, name);
  const certText = cert.certPem.endsWith("\n") ? cert.certPem : `${cert.certPem}\n`;
  await fs.writeFile(file, certText + cert.keyPem, { encoding: "utf8", mode: 0o600 });
  return file;
}

/** Writes the certificate PEM into a fresh temp directory; returns the file and directory. */
export async function writeCaFile(certPem: string): Promise<{ caFile: string; dir: string }> {
  // Named with this process's pid, so that a later emulator can tell when it is stale (staleFolders.ts).
  const dir = await fs.mkdtemp(emulatorFolderPrefix());
  const caFile = path.join(dir, "emulator-ca.pem");
  await fs.writeFile(caFile, certPem, { encoding: "utf8", mode: 0o644 });
  return { caFile, dir };
}
