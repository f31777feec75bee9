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
  | { ok: false; reason: "malformed" | "signature" | "revoked" };

/**
 * Test-only changes to the next app tokens issued (token endpoint's client credentials, the
 * managed identity endpoint): a lifetime (negative: already expired when issued, as a token from
 * an identity provider whose clock is behind) and/or another audience. `remaining` counts down;
 * undefined = every token until cleared. Set through the control API (POST /_emulator/tokens/issuance).
 */
export interface IssuanceOverride {
  expiresInSeconds?: number;
  audience?: string;
  remaining?: number;
}

/** What a revocation applies to: tokens of one app (client id), of one principal (oid), or all. */
export interface RevocationFilter {
  clientId?: string;
  objectId?: string;
}

/** How many issued tokens are remembered for revocation (oldest dropped first). */
const MAX_ISSUED = 10_000;

export class TokenService {
  /** Issued tokens (uti → appid, oid), for revocation; uti of revoked tokens. */
  private readonly issued = new Map<string, { appid?: unknown; oid?: unknown }>();
  private readonly revoked = new Set<string>();
  /** See IssuanceOverride. */
  issuanceOverride: IssuanceOverride | undefined;

  constructor(private readonly cert: EmulatorCertificate) {}

  /**
   * Revokes the tokens issued so far (all, or one app's / one principal's): ARM then refuses them
   * as invalid (InvalidAuthenticationToken), as it does a token whose session was revoked or whose
   * signature no longer validates. Tokens issued afterwards are valid. Returns how many.
   */
  revoke(filter: RevocationFilter = {}): number {
    let n = 0;
    for (const [uti, who] of this.issued) {
      if (filter.clientId && String(who.appid ?? "").toLowerCase() !== filter.clientId.toLowerCase()) continue;
      if (filter.objectId && String(who.oid ?? "").toLowerCase() !== filter.objectId.toLowerCase()) continue;
      if (!this.revoked.has(uti)) n++;
      this.revoked.add(uti);
    }
    return n;
  }

  /** The lifetime and audience of the next issued app token, after any IssuanceOverride (consumed here). */
  private takeOverride(lifetime: number, audience: string): { lifetime: number; audience: string } {
    const o = this.issuanceOverride;
    if (!o) return { lifetime, audience };
    if (o.remaining !== undefined && --o.remaining <= 0) this.issuanceOverride = undefined;
    return { lifetime: o.expiresInSeconds ?? lifetime, audience: o.audience ?? audience };
  }

  get keyId(): string {
    return this.cert.x5t;
  }

  issueAppToken(input: IssueAppTokenInput): IssuedToken {
    const { lifetime, audience } = this.takeOverride(input.lifetimeSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS, input.audience);
    const now = Math.floor(Date.now() / 1000);
    const claims = this.appClaims({
      tenantId: input.tenant.tenantId,
      appId: input.app.appId,
      objectId: input.app.servicePrincipalId,
      audience,
      issuedAt: now,
      // An already expired token is issued an hour ago, so its nbf/iat stay before its exp.
      ...(lifetime <= 0 ? { issuedAt: now + lifetime - 3600, notBefore: now + lifetime - 3600 } : {}),
      expiresAt: now + lifetime,
      claims: { appidacr: input.appidacr ?? "1", xms_tcdt: input.tenant.createdAt, ...(input.extraClaims ?? {}) },
    });
    return { accessToken: this.sign(claims), claims, expiresIn: lifetime };
  }

  mint(input: MintTokenInput): string {
    return this.sign(this.appClaims(input));
  }

  sign(claims: JwtClaims): string {
    if (typeof claims.uti === "string") {
      this.issued.set(claims.uti, { appid: claims.appid, oid: claims.oid });
      if (this.issued.size > MAX_ISSUED) this.issued.delete(this.issued.keys().next().value!);
    }
    return signJwtRs256({ typ: "JWT", alg: "RS256", x5t: this.cert.x5t, kid: this.cert.x5t }, claims, this.cert.privateKey);
  }

  /** Checks format, key id and signature only; expiry/audience/issuer are the resource's business. */
  validate(token: string): TokenValidation {
    const decoded = decodeJwt(token);
    if (!decoded) return { ok: false, reason: "malformed" };
    if (decoded.header.kid !== undefined && decoded.header.kid !== this.cert.x5t) return { ok: false, reason: "signature" };
    if (!verifyRs256(decoded, this.cert.publicKey)) return { ok: false, reason: "signature" };
    if (typeof decoded.payload.uti === "string" && this.revoked.has(decoded.payload.uti)) return { ok: false, reason: "revoked" };
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
