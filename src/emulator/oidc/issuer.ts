/**
 * An OpenID Connect issuer of workload identity tokens, on the emulator origin under `/oidc`
 * (EmulatorInfo.oidcIssuer = `https://127.0.0.1:PORT/oidc`). It plays the part of a Kubernetes
 * cluster's service-account issuer (AKS `--enable-oidc-issuer`), whose projected tokens Entra ID
 * exchanges for access tokens through a federated identity credential:
 *
 *   GET /oidc/.well-known/openid-configuration   discovery document (Kubernetes' shape)
 *   GET /oidc/openid/v1/jwks                     the signing key (Kubernetes' JWKS path)
 *
 * Tokens are minted through the control API (`POST /_emulator/workload-identity/token`) and are shaped
 * like projected service-account tokens: RS256, `kid`, `aud: ["api://AzureADTokenExchange"]`,
 * `sub: system:serviceaccount:<namespace>:<name>`, `iss`, `iat`, `nbf`, `exp`, and a `kubernetes.io` claim.
 *
 * The key is its own RSA key pair (a real issuer does not share keys with Entra ID).
 */
import { createHash, generateKeyPair, KeyObject, randomUUID } from "crypto";
import { promisify } from "util";
import { EmulatorResponse, jsonResponse, RequestContext } from "../http";
import { decodeJwt, DecodedJwt, signJwtRs256, verifyRs256 } from "../entra/jwt";

/** The audience Entra ID requires on federated assertions (the federated credential default). */
export const TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";

/** Default subject of minted tokens and of the demo app's federated credential. */
export const DEFAULT_WORKLOAD_SUBJECT = "system:serviceaccount:default:aztokenbridge";

/** Path of the issuer below the origin. */
export const OIDC_PATH = "/oidc";

export interface MintWorkloadTokenInput {
  subject: string;
  /** Default [api://AzureADTokenExchange]. */
  audiences?: string[];
  /** Default 3600 (an hour, the projected-token default); may be negative for an expired token. */
  expiresInSeconds?: number;
}

export class OidcIssuer {
  readonly keyId: string;

  /** A new issuer with a fresh RSA 2048 key (generated off the main thread). */
  static async create(issuerUrl: () => string): Promise<OidcIssuer> {
    const pair = await promisify(generateKeyPair)("rsa", { modulusLength: 2048 });
    return new OidcIssuer(issuerUrl, pair.privateKey, pair.publicKey);
  }

  /** @param issuerUrl the canonical issuer URL, `https://127.0.0.1:PORT/oidc` (known once listening). */
  constructor(
    private readonly issuerUrl: () => string,
    private readonly privateKey: KeyObject,
    private readonly publicKey: KeyObject,
  ) {
    // Kubernetes derives kid from the key (base64url SHA-256 of the DER public key).
    this.keyId = createHash("sha256").update(this.publicKey.export({ format: "der", type: "spki" })).digest("base64url");
  }

  get issuer(): string {
    return this.issuerUrl();
  }

  mint(input: MintWorkloadTokenInput): string {
    const now = Math.floor(Date.now() / 1000);
    const exp = now + (input.expiresInSeconds ?? 3600);
    const [, namespace = "default", serviceAccount = "default"] = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(input.subject) ?? [];
    return signJwtRs256(
      { alg: "RS256", kid: this.keyId },
      {
        aud: input.audiences ?? [TOKEN_EXCHANGE_AUDIENCE],
        exp,
        iat: Math.min(now, exp),
        iss: this.issuer,
        "kubernetes.io": {
          namespace,
          pod: { name: `${serviceAccount}-emulated`, uid: randomUUID() },
          serviceaccount: { name: serviceAccount, uid: randomUUID() },
        },
        nbf: Math.min(now, exp),
        sub: input.subject,
      },
      this.privateKey,
    );
  }

  /** Signature check against this issuer's key (what Entra ID does after fetching the JWKS). */
  verifySignature(decoded: DecodedJwt): boolean {
    if (decoded.header.kid !== undefined && decoded.header.kid !== this.keyId) return false;
    return verifyRs256(decoded, this.publicKey);
  }

  /** Convenience for tests: decode + verify. */
  verify(token: string): DecodedJwt | undefined {
    const decoded = decodeJwt(token);
    return decoded && this.verifySignature(decoded) ? decoded : undefined;
  }

  /** Answers GET /oidc/… (ctx.segments[0] is "oidc"). */
  handle(ctx: RequestContext): EmulatorResponse {
    const sub = ctx.segments.slice(1).join("/");
    const headers = { "Cache-Control": "public, max-age=3600" };
    const route = sub === ".well-known/openid-configuration" ? "discovery" : sub === "openid/v1/jwks" ? "jwks" : undefined;
    if (!route) return jsonResponse(404, { error: "not_found", error_description: `No OIDC issuer endpoint at '${ctx.rawPath}'.` });
    if (ctx.method !== "GET" && ctx.method !== "HEAD") {
      return jsonResponse(405, { error: "method_not_allowed", error_description: `Method '${ctx.method}' is not allowed.` }, { Allow: "GET, HEAD" });
    }
    ctx.logExtras.oidcEndpoint = route;
    if (route === "discovery") {
      // The document a Kubernetes API server serves at /.well-known/openid-configuration.
      return jsonResponse(
        200,
        {
          issuer: this.issuer,
          jwks_uri: `${this.issuer}/openid/v1/jwks`,
          response_types_supported: ["id_token"],
          subject_types_supported: ["public"],
          id_token_signing_alg_values_supported: ["RS256"],
        },
        headers,
      );
    }
    const jwk = this.publicKey.export({ format: "jwk" });
    return jsonResponse(200, { keys: [{ use: "sig", kty: "RSA", kid: this.keyId, alg: "RS256", n: jwk.n, e: jwk.e }] }, headers);
  }
}
