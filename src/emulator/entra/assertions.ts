/**
 * `client_assertion` (private_key_jwt, RFC 7523) at the token endpoint, for the two kinds Entra ID accepts:
 *
 *  - Certificate credentials: a JWT the client signs with a certificate registered on the app.
 *    `iss` = `sub` = client id, `aud` = the token endpoint, header `x5t#S256` (PS256; what
 *    @azure/identity 4.14 / msal-node 7 send) or `x5t` (RS256; older MSALs).
 *  - Workload identity federation: a JWT from an external OIDC issuer (here the emulator's own,
 *    oidc/issuer.ts) matching a federated identity credential on the app (issuer + subject + audience,
 *    case-sensitive).
 *
 * Which kind it is: like Entra ID, an assertion whose `iss` is the client id is a client-credential
 * assertion; anything else is looked up among the app's federated identity credentials.
 *
 * Error texts, as Entra ID answers them (recorded in public bug reports):
 *   AADSTS700027  "The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key
 *                 was not found., Thumbprint of key used by client: '…', Please visit …]"  (microsoft-authentication-library-for-js#8339, 2026)
 *   AADSTS700027  "Client assertion contains an invalid signature. [Reason - Key was found, but use of the key to verify the signature
 *                 failed., …]" (the Reason and "Found key" parts as recorded for AADSTS50013, msgraph-sdk-php#1585; the prefix as in
 *                 azure-sdk-for-net#29007)
 *   AADSTS700024  "Client assertion is not within its valid time range. Current time: …, assertion valid from …, expiry time of assertion …. Review
 *                 the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials ." (msal4j#984, 2025)
 *   AADSTS700023  "Client assertion audience claim does not match Realm issuer. Review the documentation at …" (msal-dotnet#2746)
 *   AADSTS70021   "No matching federated identity record found for presented assertion. Assertion Issuer: '…'. Assertion Subject: '…'.
 *                 Assertion Audience: '…'. https://docs.microsoft.com/…" (azure-workload-identity#616; 400 invalid_request). Today's
 *                 Entra ID may answer the same situation with AADSTS700211/700213 (issuer/subject); the emulator keeps AADSTS70021.
 *   AADSTS700212  "No matching federated identity record found for presented assertion audience '…'. Check your federated identity
 *                 credential Subject, Audience and Issuer against the presented assertion. https://learn.microsoft.com/…" when issuer and
 *                 subject match a credential but the audience does not (text patterned on the recorded AADSTS700213 one)
 *   AADSTS700027  "… [Reason - The key used is expired., …]" when the registered certificate's end date has passed (not recorded here)
 *   AADSTS50027   "JWT token is invalid or malformed." / "Invalid JWT token. No certificate thumbprint specified in token header."
 *   AADSTS90011   "Unexpected client assertion type." (wrong client_assertion_type; recorded 2016)
 *   AADSTS700021  "Client assertion application identifier doesn't match 'client_id' parameter. …" (text not recorded here: emulator's own)
 */
import { constants, createVerify } from "crypto";
import type { AppRecord, CertificateCredentialRecord, Directory, FederatedCredentialRecord, TenantRecord } from "../directory";
import type { EmulatorResponse, RequestContext } from "../http";
import type { OidcIssuer } from "../oidc/issuer";
import type { ClientAssertionVerifier, EntraService, GrantRequest } from "./entra";
import { decodeJwt, DecodedJwt } from "./jwt";

export const JWT_BEARER_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/** Tolerated clock skew for assertion exp/nbf (Entra ID allows a few minutes). */
const ASSERTION_CLOCK_SKEW_SECONDS = 300;

const CERT_DOCS = "https://learn.microsoft.com/entra/identity-platform/certificate-credentials";
const WIF_DOCS = "https://docs.microsoft.com/en-us/azure/active-directory/develop/workload-identity-federation";

type Verdict = { ok: true } | { ok: false; response: EmulatorResponse };

export function createClientAssertionVerifier(deps: { directory: Directory; oidc: OidcIssuer }): ClientAssertionVerifier {
  return (req, app, assertion, assertionType) => {
    const { ctx } = req;
    const entra = req.entra;
    if (assertionType !== JWT_BEARER_ASSERTION_TYPE) {
      return fail(entra.error(ctx, 400, "invalid_request", 90011, "Unexpected client assertion type."));
    }
    const decoded = decodeJwt(assertion);
    if (!decoded) return fail(entra.error(ctx, 400, "invalid_request", 50027, "JWT token is invalid or malformed."));
    const tenant = req.tenant ?? deps.directory.findTenant(app.tenantId);
    if (typeof decoded.payload.iss === "string" && decoded.payload.iss.toLowerCase() === app.appId) {
      ctx.logExtras.credentialType = "certificate";
      return verifyCertificateAssertion(entra, ctx, app, tenant, decoded, req);
    }
    ctx.logExtras.credentialType = "federated";
    return verifyFederatedAssertion(entra, ctx, app, decoded, deps.oidc);
  };
}

// ----- certificate credentials ----------------------------------------------------------------------

function verifyCertificateAssertion(
  entra: EntraService,
  ctx: RequestContext,
  app: AppRecord,
  tenant: TenantRecord | undefined,
  jwt: DecodedJwt,
  req: GrantRequest,
): Verdict {
  const { header, payload } = jwt;
  if (typeof payload.sub !== "string" || payload.sub.toLowerCase() !== app.appId) {
    return fail(
      entra.error(ctx, 401, "invalid_client", 700021, `Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at ${CERT_DOCS} .`),
    );
  }

  // The key: x5t#S256 (SHA-256 thumbprint) if present, else x5t (SHA-1).
  const x5tS256 = typeof header["x5t#S256"] === "string" ? header["x5t#S256"] : undefined;
  const x5t = typeof header.x5t === "string" ? header.x5t : undefined;
  if (!x5tS256 && !x5t) {
    return fail(entra.error(ctx, 401, "invalid_client", 50027, "Invalid JWT token. No certificate thumbprint specified in token header."));
  }
  const thumbprintShown = Buffer.from((x5tS256 ?? x5t)!, "base64url").toString("hex").toUpperCase();
  ctx.logExtras.certificateThumbprint = thumbprintShown;
  const cert = app.certificates.find((c) => (x5tS256 ? c.x5tS256 === x5tS256 : c.x5t === x5t));
  const keysHint =
    `Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${app.appId}'. ` +
    "Review the documentation at https://docs.microsoft.com/en-us/graph/deployments to determine the corresponding service endpoint and " +
    "https://docs.microsoft.com/en-us/graph/api/application-get?view=graph-rest-1.0&tabs=http to build a query request URL, such as " +
    `'https://graph.microsoft.com/beta/applications/${app.appId}'`;
  if (!cert) {
    return fail(
      entra.error(
        ctx, 401, "invalid_client", 700027,
        "The certificate with identifier used to sign the client assertion is not registered on application. " +
          `[Reason - The key was not found., Thumbprint of key used by client: '${thumbprintShown}', ${keysHint}].`,
      ),
    );
  }
  if (!verifyCertificateSignature(jwt, cert)) {
    return fail(
      entra.error(
        ctx, 401, "invalid_client", 700027,
        "Client assertion contains an invalid signature. [Reason - Key was found, but use of the key to verify the signature failed., " +
          `Thumbprint of key used by client: '${thumbprintShown}', Found key 'Start=${keyDate(cert.startDate)}, End=${keyDate(cert.endDate)}', ${keysHint}].`,
      ),
    );
  }

  if (cert.endDate.getTime() < Date.now()) {
    // The registered key's end date has passed. Reason text as Entra ID words it for an expired key
    // (not recorded in ../shared/reference; the rest of the envelope as the invalid-signature case).
    return fail(
      entra.error(
        ctx, 401, "invalid_client", 700027,
        "Client assertion contains an invalid signature. [Reason - The key used is expired., " +
          `Thumbprint of key used by client: '${thumbprintShown}', Found key 'Start=${keyDate(cert.startDate)}, End=${keyDate(cert.endDate)}', ${keysHint}].`,
      ),
    );
  }
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  const accepted = acceptedAudiences(ctx, tenant, req.tenantSegment);
  if (!audiences.some((a) => typeof a === "string" && accepted.has(normAudience(a)))) {
    return fail(entra.error(ctx, 401, "invalid_client", 700023, `Client assertion audience claim does not match Realm issuer. Review the documentation at ${CERT_DOCS} .`));
  }
  const lifetime = checkLifetime(entra, ctx, payload, CERT_DOCS);
  if (!lifetime.ok) return lifetime;
  return { ok: true };
}

function verifyCertificateSignature(jwt: DecodedJwt, cert: CertificateCredentialRecord): boolean {
  const alg = jwt.header.alg;
  try {
    if (alg === "RS256") return createVerify("RSA-SHA256").update(jwt.signingInput).verify(cert.publicKey, jwt.signature);
    if (alg === "PS256") {
      return createVerify("RSA-SHA256")
        .update(jwt.signingInput)
        .verify({ key: cert.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, jwt.signature);
    }
  } catch {
    return false;
  }
  return false;
}

/**
 * The `aud` values Entra ID accepts on a client assertion sent to this tenant: its token endpoints
 * (v2.0 and v1) and its v2.0 issuer, with the tenant as GUID, as a verified domain or as sent in the
 * path, on any host name of this origin (127.0.0.1, localhost, [::1]).
 */
function acceptedAudiences(ctx: RequestContext, tenant: TenantRecord | undefined, tenantSegment: string): Set<string> {
  const port = new URL(ctx.origin).port;
  const hosts = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
  const tenants = new Set([tenantSegment, ...(tenant ? [tenant.tenantId, tenant.defaultDomain] : [])].map((t) => t.toLowerCase()));
  const out = new Set<string>();
  for (const h of hosts) {
    for (const t of tenants) {
      for (const suffix of ["oauth2/v2.0/token", "oauth2/token", "v2.0"]) out.add(normAudience(`https://${h}/${t}/${suffix}`));
    }
  }
  return out;
}

function normAudience(a: string): string {
  return a.toLowerCase().replace(/\/+$/, "");
}

// ----- workload identity federation -----------------------------------------------------------------

function verifyFederatedAssertion(entra: EntraService, ctx: RequestContext, app: AppRecord, jwt: DecodedJwt, oidc: OidcIssuer): Verdict {
  const { payload } = jwt;
  const iss = typeof payload.iss === "string" ? payload.iss : "";
  const sub = typeof payload.sub === "string" ? payload.sub : "";
  const auds = (Array.isArray(payload.aud) ? payload.aud : [payload.aud]).filter((a): a is string => typeof a === "string");
  if (sub) ctx.logExtras.federatedSubject = sub;
  // Issuer, subject and audience must all match one credential, case-sensitively.
  const match: FederatedCredentialRecord | undefined = app.federatedCredentials.find(
    (f) => f.issuer === iss && f.subject === sub && auds.some((a) => f.audiences.includes(a)),
  );
  const sameSubject = app.federatedCredentials.find((f) => f.issuer === iss && f.subject === sub);
  if (!match && sameSubject) {
    // Issuer and subject match a credential, the audience does not (e.g. a Kubernetes token projected
    // for another audience). The code is Entra ID's for this case; the text follows the recorded
    // AADSTS700213 one for subjects (azure-workload-identity#1200, dotnet/maui#31978).
    return fail(
      entra.error(
        ctx, 401, "invalid_client", 700212,
        `No matching federated identity record found for presented assertion audience '${auds.join(",")}'. ` +
          "Check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation",
      ),
    );
  }
  if (!match) {
    return fail(
      entra.error(
        ctx, 400, "invalid_request", 70021,
        `No matching federated identity record found for presented assertion. Assertion Issuer: '${iss}'. Assertion Subject: '${sub}'. ` +
          `Assertion Audience: '${auds.join(",")}'. ${WIF_DOCS}`,
      ),
    );
  }
  // Entra ID fetches {issuer}/.well-known/openid-configuration and its jwks_uri; the only issuer the
  // emulator can reach is its own, so a credential naming another issuer cannot validate.
  if (iss !== oidc.issuer || !oidc.verifySignature(jwt)) {
    return fail(
      entra.error(
        ctx, 401, "invalid_client", 700027,
        `Client assertion contains an invalid signature. [Reason - The key was not found., Issuer: '${iss}', Please check the keys published at the issuer's jwks_uri.]`,
      ),
    );
  }
  const lifetime = checkLifetime(entra, ctx, payload, CERT_DOCS);
  if (!lifetime.ok) return lifetime;
  return { ok: true };
}

// ----- shared ---------------------------------------------------------------------------------------

function checkLifetime(entra: EntraService, ctx: RequestContext, payload: Record<string, unknown>, docs: string): Verdict {
  const nowMs = Date.now();
  const now = nowMs / 1000;
  const exp = typeof payload.exp === "number" ? payload.exp : 0;
  const nbf = typeof payload.nbf === "number" ? payload.nbf : undefined;
  if (exp + ASSERTION_CLOCK_SKEW_SECONDS < now || (nbf !== undefined && nbf - ASSERTION_CLOCK_SKEW_SECONDS > now)) {
    return fail(
      entra.error(
        ctx, 401, "invalid_client", 700024,
        `Client assertion is not within its valid time range. Current time: ${iso7(new Date(nowMs))}, assertion valid from ` +
          `${iso7(new Date((nbf ?? 0) * 1000))}, expiry time of assertion ${iso7(new Date(exp * 1000))}. Review the documentation at ${docs} .`,
      ),
    );
  }
  return { ok: true };
}

/** `2024-10-02T22:05:03.6755165Z` (.NET round-trip format, 7 fractional digits). */
function iso7(d: Date): string {
  return d.toISOString().replace(/Z$/, "0000Z");
}

/** `02/07/2021 17:00:39` (as Entra ID prints a key's Start/End). */
function keyDate(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())}/${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

function fail(response: EmulatorResponse): Verdict {
  return { ok: false, response };
}
