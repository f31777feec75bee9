/**
 * New-PartnerAccessToken on @azure/msal-node. The flow follows PartnerCenter's dispatch order
 * (partner.md 1.2): AccessToken set → -UseAuthorizationCode → -RefreshToken → User/ByModule
 * (device code or browser) → client credentials. The client is confidential when a secret or a
 * certificate is given, else public.
 *
 *   ServicePrincipal(+Certificate)      client credentials (secret, or the certificate's assertion)
 *   …  -UseAuthorizationCode            authorization code + PKCE, confidential, via the loopback
 *   RefreshToken / ByModule -RefreshToken   refresh token (public, or confidential with -Credential /
 *                                       -CertificateThumbprint; with -Credential its user name is the client id)
 *   User                                browser sign-in (authorization code + PKCE, prompt=login, public)
 *   User -UseDeviceAuthentication       device code; ByModule: always device code (Exchange Online app)
 *   AccessToken                         no network (validation.ts)
 *
 * The refresh token is read from msal's cache after every user flow (`forceCache` for refresh, so
 * the new one is cached), with the token endpoint's answer as a fallback: it is always returned.
 *
 * The flows that wait for a user are one request: what the user must see (the device code message,
 * the browser notices or the URL to open) is sent at once as warning notifications
 * (src/rpc/notify.ts), and the request answers when the user has signed in, or ends when it is
 * cancelled ($/cancelRequest: the device code polling stops, the loopback port is closed).
 */
import { createHash, randomBytes, randomUUID, X509Certificate } from "node:crypto";
import {
  AuthenticationResult,
  ConfidentialClientApplication,
  Configuration,
  DeviceCodeRequest,
  LogLevel,
  PublicClientApplication,
} from "@azure/msal-node";
import { BridgeErrorCodes, PartnerAuthorityInfo, PartnerAuthResult, PartnerNewAccessTokenParams, PartnerNewAccessTokenResult } from "../protocol";
import { BridgeError, invalidInput } from "../rpc/errors";
import { Notifier, SILENT } from "../rpc/notify";
import { msalLoggerOptions } from "../log";
import { sessionEnv } from "../azure/settings";
import { trustExtraCaFile } from "../azure/tls";
import { openBrowser, openLoopback } from "./loopback";
import { PartnerNetwork, refreshTokenFromCache, toAuthResult, toBridgeError } from "./msal";
import { accessTokenResult, accessTokenWarnings, Authority, EXCHANGE_ONLINE, resolveAuthority, validateParams } from "./validation";

type Client = { app: PublicClientApplication | ConfidentialClientApplication; clientId: string; kind: string; network: PartnerNetwork };

function abortError(): Error {
  return Object.assign(new Error("The request was cancelled."), { name: "AbortError" });
}

function makeClient(auth: Authority, clientId: string, p: PartnerNewAccessTokenParams, signal: AbortSignal): Client {
  const network = new PartnerNetwork(signal);
  const secret = p.parameterSet === "ServicePrincipal" || p.parameterSet === "RefreshToken" ? p.credential?.password || undefined : undefined;
  const cert = p.parameterSet === "ServicePrincipalCertificate" || p.parameterSet === "RefreshToken" ? p.certificate : undefined;
  const config: Configuration = {
    auth: { clientId, authority: auth.msalAuthority, knownAuthorities: auth.knownAuthorities ?? [] },
    system: { networkClient: network, loggerOptions: msalLoggerOptions(LogLevel) },
  };
  if (secret) {
    config.auth.clientSecret = secret;
    return { app: new ConfidentialClientApplication(config), clientId, kind: "confidential (secret)", network };
  }
  if (cert) {
    let thumbprintSha256: string;
    try {
      thumbprintSha256 = createHash("sha256").update(new X509Certificate(cert.certificatePem).raw).digest("hex");
    } catch (e) {
      throw invalidInput("InvalidCertificate", "CertificateThumbprint", `The certificate ${cert.thumbprint} could not be read: ${(e as Error).message}`);
    }
    config.auth.clientCertificate = { thumbprintSha256, privateKey: cert.privateKeyPem };
    return { app: new ConfidentialClientApplication(config), clientId, kind: "confidential (certificate)", network };
  }
  return { app: new PublicClientApplication(config), clientId, kind: "public", network };
}

async function userResult(c: Client, r: AuthenticationResult | null): Promise<PartnerAuthResult> {
  if (!r) throw new BridgeError(BridgeErrorCodes.AuthenticationFailed, "Entra ID returned no token.", { category: "AuthenticationError", errorId: "NoAccessToken" });
  const rt = refreshTokenFromCache(c.app.getTokenCache().serialize(), r, c.clientId) ?? c.network.lastRefreshToken ?? null;
  return toAuthResult(r, rt, c.network.lastLifetimes);
}

export async function newAccessToken(p: PartnerNewAccessTokenParams, signal: AbortSignal, notify: Notifier = SILENT): Promise<PartnerNewAccessTokenResult> {
  validateParams(p);
  if (p.parameterSet === "AccessToken") {
    if (!p.accessToken) throw invalidInput("AccessTokenRequired", "AccessToken", "-AccessToken is empty.");
    const result = accessTokenResult(p.accessToken, p.scopes ?? []);
    for (const w of accessTokenWarnings(p.accessToken, p.scopes ?? [])) notify.warning(w);
    return {
      result,
      info: { environment: p.environment ?? "AzureCloud", authority: "(none: the access token is read locally)", flow: "AccessToken" },
    };
  }
  const auth = resolveAuthority(p);
  const env = sessionEnv(p.context);
  trustExtraCaFile(env.NODE_EXTRA_CA_CERTS);

  const byModule = p.parameterSet === "ByModule";
  const clientId = (byModule ? EXCHANGE_ONLINE.applicationId : p.parameterSet === "RefreshToken" && p.credential ? p.credential.userName : p.applicationId!).trim();
  const scopes = byModule ? EXCHANGE_ONLINE.scopes : p.scopes!;
  const useAuthCode = !byModule && !!p.useAuthorizationCode;
  const retry = signInAgainCommand(p, auth, clientId, scopes);

  const info = (flow: string, kind: string): PartnerAuthorityInfo => ({
    environment: auth.environment,
    authority: auth.authority,
    redirectedTo: auth.redirected ? auth.msalAuthority : undefined,
    flow,
    clientId,
    client: kind,
  });

  if (useAuthCode) return userLogin("AuthorizationCode", p, auth, clientId, scopes, env, signal, notify, retry, info);
  if (p.refreshToken) {
    const c = makeClient(auth, clientId, p, signal);
    try {
      const r = await c.app.acquireTokenByRefreshToken({ refreshToken: p.refreshToken, scopes, forceCache: true });
      return { result: await userResult(c, r), info: info("RefreshToken", c.kind) };
    } catch (e) {
      throw withRefreshTokenFix(withCredentialFix(toBridgeError(e, c.network, retry), p, clientId, auth.tenant), p, clientId, retry);
    }
  }
  if (p.parameterSet === "User" || byModule) {
    const flow = byModule || p.useDeviceAuthentication ? "DeviceCode" : "AuthorizationCode";
    return userLogin(flow, p, auth, clientId, scopes, env, signal, notify, retry, info);
  }
  // ServicePrincipal / ServicePrincipalCertificate: client credentials.
  const c = makeClient(auth, clientId, p, signal);
  try {
    const r = await (c.app as ConfidentialClientApplication).acquireTokenByClientCredential({ scopes });
    if (!r) throw new BridgeError(BridgeErrorCodes.AuthenticationFailed, "Entra ID returned no token.", { category: "AuthenticationError", errorId: "NoAccessToken" });
    return { result: toAuthResult(r, null, c.network.lastLifetimes), info: info("ClientCredentials", c.kind) };
  } catch (e) {
    throw withCredentialFix(toBridgeError(e, c.network, retry), p, clientId, auth.tenant);
  }
}

/** A PowerShell single-quoted literal ('' for each quote, the typographic ones included). */
function psLiteral(value: string): string {
  return `'${value.replace(/['\u2018\u2019\u201a\u201b]/g, "$&$&")}'`;
}

/**
 * The one command that signs in again interactively for the app the user called with, for the
 * "sign in again" advice (RecommendedAction): pasteable into pwsh, in the parameter set that fits.
 * A confidential app keeps its credential and -ServicePrincipal (ServicePrincipal /
 * ServicePrincipalCertificate with -UseAuthorizationCode: -Tenant is mandatory there); the Exchange
 * Online module keeps -Module ExchangeOnline; a public app signs in with the flow the user chose
 * (the User set), with the device code after a refresh token (it needs no browser on this machine).
 * -Credential is asked for again (Get-Credential with the app id as user name): this server never
 * knows the variable that held it.
 */
export function signInAgainCommand(p: PartnerNewAccessTokenParams, auth: Authority, clientId: string, scopes: string[]): string {
  const where = (tenantMandatory: boolean) =>
    (tenantMandatory || auth.tenant !== "organizations" ? ` -Tenant ${psLiteral(auth.tenant)}` : "") +
    (auth.environment !== "AzureCloud" ? ` -Environment ${auth.environment}` : "");
  if (p.parameterSet === "ByModule") return `New-PartnerAccessToken -Module ExchangeOnline${where(false)}`;
  const app = `New-PartnerAccessToken -ApplicationId ${psLiteral(clientId)}`;
  const scopeList = ` -Scopes ${scopes.map(psLiteral).join(",")}`;
  const secret = (p.parameterSet === "ServicePrincipal" || p.parameterSet === "RefreshToken") && !!p.credential;
  const cert = (p.parameterSet === "ServicePrincipalCertificate" || p.parameterSet === "RefreshToken") && !!p.certificate && !secret;
  if (secret) return `${app} -Credential (Get-Credential -UserName ${psLiteral(clientId)})${scopeList} -ServicePrincipal${where(true)} -UseAuthorizationCode`;
  if (cert) return `${app} -CertificateThumbprint ${psLiteral(p.certificate!.thumbprint)}${scopeList} -ServicePrincipal${where(true)} -UseAuthorizationCode`;
  const flow = p.parameterSet === "User" && !p.useDeviceAuthentication ? (p.useAuthorizationCode ? " -UseAuthorizationCode" : "") : " -UseDeviceAuthentication";
  return `${app}${scopeList}${where(false)}${flow}`;
}

/**
 * Entra ID's refusal of -RefreshToken itself, when the error has no advice yet (interaction codes
 * such as AADSTS700082 and AADSTS50173 get toBridgeError's "sign in again interactively").
 */
function withRefreshTokenFix(e: Error, p: PartnerNewAccessTokenParams, clientId: string, retry: string): Error {
  if (!(e instanceof BridgeError) || e.data.recommendedAction) return e;
  const from = p.credential ? "-Credential's user name" : "-ApplicationId";
  const fixes: Record<string, string> = {
    AADSTS700007:
      `The refresh token was issued to another app than ${clientId} (${from}): pass the client id of the app that got it, ` +
      `or sign in again with this app and use its refresh token: ${retry}`,
    AADSTS70008: `The refresh token has expired: sign in again interactively and use the new refresh token: ${retry}`,
    AADSTS9002313: `-RefreshToken is not a refresh token Entra ID issued (truncated, or from another cloud or tenant): pass the whole token, or sign in again: ${retry}`,
  };
  const fix = fixes[e.data.errorId];
  if (!fix) return e;
  return new BridgeError(e.code, `${e.message}\n${fix}`, { ...e.data, recommendedAction: fix });
}

/**
 * Entra ID's refusal of the app's own credential (client credentials): what to do, naming the
 * parameter at fault (-Credential's password is the secret, -CertificateThumbprint the certificate).
 */
function withCredentialFix(e: Error, p: PartnerNewAccessTokenParams, clientId: string, tenant: string): Error {
  if (!(e instanceof BridgeError)) return e;
  const cert = p.parameterSet === "ServicePrincipalCertificate";
  const fixes: Record<string, string> = {
    AADSTS7000222:
      `The client secret of app ${clientId} (the password of -Credential) has expired: create a new one (Azure portal: App registrations > ` +
      `Certificates & secrets, or 'az ad app credential reset --id ${clientId}') and pass it as -Credential's password.`,
    AADSTS7000215: `The password of -Credential is not a client secret of app ${clientId}: give the secret's value (not its id).`,
    AADSTS7000112:
      `App ${clientId} is disabled in tenant ${tenant}: an administrator must enable sign-in for it (Enterprise applications > Properties > ` +
      `Enabled for users to sign-in), or use another app.`,
    AADSTS700016: `There is no app ${clientId} in tenant ${tenant} (deleted, or another tenant's): check -ApplicationId and -Tenant.`,
  };
  if (cert) {
    fixes.AADSTS700027 =
      `The certificate of -CertificateThumbprint is expired or not registered on app ${clientId}: upload a valid certificate to the app ` +
      "(App registrations > Certificates & secrets) and pass its thumbprint.";
  }
  const fix = fixes[e.data.errorId];
  if (!fix) return e;
  return new BridgeError(e.code, `${e.message}\n${fix}`, { ...e.data, recommendedAction: fix });
}

/**
 * A sign-in that waits for the user: tells the user what to do at once (warning notifications),
 * then answers when the user has signed in. Cancelling the request cancels the sign-in.
 */
async function userLogin(
  flow: "DeviceCode" | "AuthorizationCode",
  p: PartnerNewAccessTokenParams,
  auth: Authority,
  clientId: string,
  scopes: string[],
  env: Record<string, string>,
  signal: AbortSignal,
  notify: Notifier,
  retry: string,
  info: (flow: string, kind: string) => PartnerAuthorityInfo,
): Promise<PartnerNewAccessTokenResult> {
  const c = makeClient(auth, clientId, p, signal);
  const aborted = new Promise<never>((_, reject) => {
    if (signal.aborted) reject(abortError());
    signal.addEventListener("abort", () => reject(abortError()), { once: true });
  });
  aborted.catch(() => undefined);

  if (flow === "DeviceCode") {
    const request: DeviceCodeRequest = { scopes, deviceCodeCallback: (r) => notify.warning(r.message) };
    signal.addEventListener("abort", () => (request.cancel = true), { once: true });
    const run = (async () => {
      try {
        return await userResult(c, await (c.app as PublicClientApplication).acquireTokenByDeviceCode(request));
      } catch (e) {
        throw toBridgeError(e, c.network, retry);
      }
    })();
    run.catch(() => undefined);
    return { result: await Promise.race([run, aborted]), info: info(flow, c.kind) };
  }

  const loop = await openLoopback((w) => notify.warning(w)).catch((e: Error) => {
    throw new BridgeError(BridgeErrorCodes.InvalidInput, e.message, { category: "ResourceUnavailable", errorId: "NoFreePort" });
  });
  try {
    const verifier = randomBytes(32).toString("base64url");
    const state = randomUUID();
    let url: string;
    try {
      url = await c.app.getAuthCodeUrl({
        scopes,
        redirectUri: loop.redirectUri,
        codeChallenge: createHash("sha256").update(verifier).digest("base64url"),
        codeChallengeMethod: "S256",
        state,
        responseMode: "query",
        ...(c.kind === "public" ? { prompt: "login" } : {}),
      });
    } catch (e) {
      throw toBridgeError(e, c.network, retry);
    }
    notify.warning("Attempting to launch a browser for authorization code login.");
    if (await openBrowser(url, env)) {
      notify.warning("We have launched a browser for you to login. For the old experience with device code flow, please run 'New-PartnerAccessToken -UseDeviceAuthentication'.");
    } else {
      notify.warning(`Unable to launch a browser for authorization code login. To sign in, open this address in a browser on this computer: ${url}`);
    }
    try {
      const a = await Promise.race([loop.answer, aborted]);
      if (a.error) throw Object.assign(new Error(a.errorDescription ?? a.error), { name: "ServerError", errorCode: a.error, errorMessage: a.errorDescription ?? a.error });
      if (a.state !== state) throw new BridgeError(BridgeErrorCodes.AuthenticationFailed, "The sign-in answer carries a different state: it was not this request's.", { category: "AuthenticationError", errorId: "StateMismatch" });
      const r = await Promise.race([c.app.acquireTokenByCode({ code: a.code!, scopes, redirectUri: loop.redirectUri, codeVerifier: verifier, state }), aborted]);
      return { result: await userResult(c, r), info: info(flow, c.kind) };
    } catch (e) {
      throw toBridgeError(e, c.network, retry);
    }
  } finally {
    // Closed however it ends: the port is free again.
    await loop.close();
  }
}
