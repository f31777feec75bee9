/**
 * Issues and validates the emulator's access tokens: RS256 JWTs shaped like Entra ID v1.0 app tokens
 * (what ARM receives), signed with the emulator certificate's key (`kid` = `x5t` = SHA-1 thumbprint).
 */
import { randomBytes } from "crypto";
import type { EmulatorCertificate } from "../cert";
import type { AppRecord, TenantRecord } from "../directory";
import { decodeJwt, JwtClaims, signJwtRs256, verifyRs256 } from "./jwt";
import { base64url } from "../util";

export const DEFAULT_TOKEN_LIFETIME_SECONDS = 3599;

export interface IssueAppTokenInput {
  tenant: TenantRecord;
  app: AppRecord;
  /** The resource, i.e. the scope without `/.default` (becomes `aud` verbatim). */
  audience: string;
  /** `1` = client secret, `2` = certificate / client assertion. */
  appidacr?: "0" | "1" | "2";
  lifetimeSeconds?: number;
  /** Added to the standard claims (e.g. `xms_mirid` of a managed identity). */
  extraClaims?: JwtClaims;
}

export interface IssuedToken {
  accessToken: string;
  claims: JwtClaims;
  expiresIn: number;
}

/** For tests and the control endpoint: a token with arbitrary claims, signed by this emulator. */
export interface MintTokenInput {
  tenantId: string;
  appId: string;
  objectId: string;
  audience?: string;
  /** Unix seconds; default now. */
  issuedAt?: number;
  /** Unix seconds; default issuedAt + 3599. */
  expiresAt?: number;
  notBefore?: number;
  /** Added last, so they can override anything. */
  claims?: JwtClaims;
}

export type TokenValidation =
  | { ok: true; claims: JwtClaims }
  | { ok: false; reason: "malformed" | "signature" };

export class TokenService {
  constructor(private readonly cert: EmulatorCertificate) {}

  get keyId(): string {
    return this.cert.x5t;
  }

  issueAppToken(input: IssueAppTokenInput): IssuedToken {
    const lifetime = input.lifetimeSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS;
    const now = Math.floor(Date.now() / 1000);
    const claims = this.appClaims({
      tenantId: input.tenant.tenantId,
      appId: input.app.appId,
      objectId: input.app.servicePrincipalId,
      audience: input.audience,
      issuedAt: now,
      expiresAt: now + lifetime,
      claims: { appidacr: input.appidacr ?? "1", xms_tcdt: input.tenant.createdAt, ...(input.extraClaims ?? {}) },
    });
    return { accessToken: this.sign(claims), claims, expiresIn: lifetime };
  }

  mint(input: MintTokenInput): string {
    return this.sign(this.appClaims(input));
  }

  sign(claims: JwtClaims): string {
    return signJwtRs256({ typ: "JWT", alg: "RS256", x5t: this.cert.x5t, kid: this.cert.x5t }, claims, this.cert.privateKey);
  }

  /** Checks format, key id and signature only; expiry/audience/issuer are the resource's business. */
  validate(token: string): TokenValidation {
    const decoded = decodeJwt(token);
    if (!decoded) return { ok: false, reason: "malformed" };
    if (decoded.header.kid !== undefined && decoded.header.kid !== this.cert.x5t) return { ok: false, reason: "signature" };
    if (!verifyRs256(decoded, this.cert.publicKey)) return { ok: false, reason: "signature" };
    return { ok: true, claims: decoded.payload };
  }

  /** The JWKS document served at `/{tenant}/discovery/v2.0/keys`. */
  jwks(issuer: string): { keys: Record<string, unknown>[] } {
    return {
      keys: [
        {
          kty: "RSA",
          use: "sig",
          kid: this.cert.x5t,
          x5t: this.cert.x5t,
          n: this.cert.n,
          e: this.cert.e,
          x5c: [this.cert.derBase64],
          cloud_instance_name: "microsoftonline.com",
          issuer,
        },
      ],
    };
  }

  private appClaims(input: MintTokenInput): JwtClaims {
    const iat = input.issuedAt ?? Math.floor(Date.now() / 1000);
    const sts = `https://sts.windows.net/${input.tenantId}/`;
    return {
      aud: input.audience ?? "https://management.azure.com",
      iss: sts,
      iat,
      nbf: input.notBefore ?? iat,
      exp: input.expiresAt ?? iat + DEFAULT_TOKEN_LIFETIME_SECONDS,
      aio: randomBytes(48).toString("base64"),
      appid: input.appId,
      appidacr: "1",
      idp: sts,
      idtyp: "app",
      oid: input.objectId,
      rh: `0.A${base64url(randomBytes(30))}.`,
      sub: input.objectId,
      tid: input.tenantId,
      uti: base64url(randomBytes(16)),
      ver: "1.0",
      xms_idrel: "7 20",
      ...(input.claims ?? {}),
    };
  }
}
