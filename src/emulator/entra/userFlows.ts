/**
 * Entra ID user flows (v2.0 endpoints, below /{tenant}/ where {tenant} is a tenant id, one of its
 * domains, `organizations` or `common`):
 *
 *   GET  /{tenant}/oauth2/v2.0/authorize     sign-in page (pick a demo user), then the code to redirect_uri
 *   POST /{tenant}/oauth2/v2.0/authorize     the sign-in page's form (field `login` = user)
 *   POST /{tenant}/oauth2/v2.0/devicecode    device authorization (client_id, scope)
 *   GET/POST /devicelogin                    the device-code verification page (enter the code, pick a user)
 *   POST /{tenant}/oauth2/v2.0/token         grant_type authorization_code (PKCE S256/plain), device_code
 *                                            (and the RFC 8628 URN), refresh_token
 *
 * Responses to user grants: token_type, scope, expires_in, ext_expires_in, access_token (v1.0 user
 * token for the resource), refresh_token (a new one on every grant; the one redeemed stays valid, as
 * in Entra ID, until it is 90 days inactive), id_token (v2.0, with the authorize request's nonce) and
 * client_info (base64url {"uid","utid"}) when `client_info=1` is sent, as msal always does.
 *
 * Clients: a public client app (AppRecord.publicClient) must not authenticate (AADSTS700025); a
 * confidential one must (AADSTS7000218), with a secret or a certificate assertion (entra.ts).
 * Refresh tokens are bound to the client they were issued to (AADSTS700007).
 *
 * Error texts: recorded ones are used verbatim (sources in brackets); the others were not found in
 * any recording and are the emulator's own wording, marked "Text: the emulator's own" where used.
 *   AADSTS70016   "OAuth 2.0 device flow error. Authorization is pending. Continue polling."  [Entra docs, msal issues]
 *   AADSTS700007  "The grant was issued for a different client id."  [EntraFalcon#6, Partner-Center-PowerShell#419]
 *   AADSTS9002313 "Invalid request. Request is malformed or invalid."  [dnn.azureadprovider#112]
 *   AADSTS700082  "The refresh token has expired due to inactivity. The token was issued on … and was inactive for 90.00:00:00."  [partner-center docs]
 *   AADSTS50076 / 50078 / 50079  MFA required / expired / registration required  [Partner-Center-PowerShell#259, #269, #317]
 *   AADSTS7000218 "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."  [#169]
 *   AADSTS700025  "Client is public so neither 'client_assertion' nor 'client_secret' should be presented."  [msal issues]
 *   AADSTS54005   "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token."
 *   AADSTS70008   "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource."
 *   AADSTS501481  "The Code_Verifier does not match the code_challenge supplied in the authorization request."
 *   AADSTS50011   "The redirect URI '…' specified in the request does not match the redirect URIs configured for the application '…'. …"
 *   AADSTS65004   "User declined to consent to access the app."
 *   AADSTS70000, AADSTS70020, AADSTS50020, AADSTS500117, AADSTS700016 on the sign-in page: the emulator's own texts.
 */
import { createHash, randomBytes } from "crypto";
import * as http from "http";
import type { AppRecord, Directory, ResourceAppRecord, TenantRecord, UserRecord } from "../directory";
import { EmulatorResponse, header, jsonResponse, RequestContext } from "../http";
import { base64url, newGuid } from "../util";
import type { EntraService, GrantRequest } from "./entra";
import type { TokenService } from "./tokens";

const OIDC_SCOPES = ["openid", "profile", "offline_access", "email"];
const USER_TOKEN_LIFETIME_SECONDS = 3599;
const AUTH_CODE_LIFETIME_MS = 10 * 60 * 1000;
const DEVICE_CODE_LIFETIME_SECONDS = 900;
/** Entra ID's refresh tokens expire after 90 days without use. */
export const REFRESH_TOKEN_INACTIVITY_MS = 90 * 24 * 3600 * 1000;
const GRAPH = "https://graph.microsoft.com";

interface GrantScope {
  resource: ResourceAppRecord;
  /** The resource identifier as requested (no trailing slash), e.g. https://api.partnercenter.microsoft.com */
  resourceUri: string;
  /** Resource scopes for the response's `scope` (e.g. https://api.partnercenter.microsoft.com/user_impersonation). */
  scopes: string[];
  /** `scp` claim. */
  scp: string;
  openid: boolean;
  offlineAccess: boolean;
}

interface SignIn {
  user: UserRecord;
  /** Unix ms of the interactive sign-in the grant descends from. */
  signInAt: number;
}

interface AuthCodeRecord extends SignIn {
  clientId: string;
  redirectUri: string;
  scope: string;
  nonce?: string;
  codeChallenge?: string;
  codeChallengeMethod?: string;
  expiresAt: number;
  redeemed: boolean;
}

export interface DeviceCodeRecord {
  deviceCode: string;
  userCode: string;
  clientId: string;
  scope: string;
  tenantSegment: string;
  createdAt: number;
  expiresAt: number;
  status: "pending" | "approved" | "declined" | "redeemed";
  signIn?: SignIn;
}

interface RefreshTokenRecord extends SignIn {
  clientId: string;
  issuedAt: number;
  lastUsedAt: number;
  /** Set by the control API: expired regardless of use. */
  expired?: boolean;
  /** Set by the control API: revoked at this time (Unix ms), as a password reset or "revoke sessions" does. */
  revokedAt?: number;
}

/** What /authorize decided: deliver a code (or an error) to the redirect URI, or show an error page. */
export type AuthorizeOutcome =
  | { kind: "deliver"; redirectUri: string; responseMode: "query" | "form_post" | "fragment"; fields: Record<string, string> }
  | { kind: "page"; status: number; title: string; message: string }
  | { kind: "signin"; app: AppRecord; loginHint?: string };

export class UserFlows {
  private readonly authCodes = new Map<string, AuthCodeRecord>();
  private readonly deviceCodes = new Map<string, DeviceCodeRecord>();
  private readonly refreshTokens = new Map<string, RefreshTokenRecord>();
  /** Polling interval the device authorization response tells clients (Entra ID says 5). */
  deviceCodeIntervalSeconds = 5;

  constructor(
    private readonly directory: Directory,
    private readonly tokens: TokenService,
    private readonly entra: EntraService,
  ) {
    entra.registerGrant("authorization_code", (r) => this.authorizationCodeGrant(r));
    entra.registerGrant("refresh_token", (r) => this.refreshTokenGrant(r));
    entra.registerGrant("device_code", (r) => this.deviceCodeGrant(r));
    entra.registerGrant("urn:ietf:params:oauth:grant-type:device_code", (r) => this.deviceCodeGrant(r));
    entra.registerRoute("POST", "oauth2/v2.0/devicecode", (ctx, tenant, seg) => this.deviceAuthorization(ctx, tenant, seg));
    entra.registerRoute("GET", "oauth2/v2.0/authorize", (ctx, _t, seg) => this.authorizePage(ctx, seg));
    entra.registerRoute("POST", "oauth2/v2.0/authorize", (ctx, _t, seg) => this.authorizePage(ctx, seg));
    entra.registerRootRoute("devicelogin", (ctx) => this.deviceLoginPage(ctx));
  }

  get defaultUser(): UserRecord {
    return this.directory.listUsers()[0];
  }

  // ----- /authorize -----------------------------------------------------------------------------

  /**
   * The authorization request's checks and, with a signed-in user (or `decline`), its answer.
   * Without a user: "signin" (the page asks who signs in).
   */
  authorize(tenantSegment: string, params: URLSearchParams, signIn: UserRecord | "decline" | undefined): AuthorizeOutcome {
    const clientId = params.get("client_id") ?? "";
    const redirectUri = params.get("redirect_uri") ?? "";
    const app = clientId ? this.directory.findAppById(clientId) : undefined;
    if (!app) {
      // Text: the emulator's own (no recording shows it).
      return page(400, "Sign in", `AADSTS700016: Application with identifier '${clientId}' was not found in the directory.`);
    }
    if (!isLoopbackRedirect(redirectUri)) {
      return page(
        400,
        "Sign in",
        `AADSTS50011: The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application '${app.appId}'. ` +
          "Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. " +
          "Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this. " +
          "(The emulator accepts http://localhost and http://127.0.0.1 on any port, as Entra ID does for loopback redirect URIs.)",
      );
    }
    const mode = (params.get("response_mode") ?? "query") as "query" | "form_post" | "fragment";
    const state = params.get("state");
    const deliverError = (error: string, aadsts: number, description: string): AuthorizeOutcome => ({
      kind: "deliver",
      redirectUri,
      responseMode: mode,
      fields: {
        error,
        error_description: `AADSTS${aadsts}: ${description}\r\nTrace ID: ${newGuid()}\r\nCorrelation ID: ${newGuid()}`,
        ...(state !== null ? { state } : {}),
      },
    });
    // Text: the emulator's own (no recording shows it).
    if (!["query", "form_post", "fragment"].includes(mode)) return deliverError("invalid_request", 900144, `Unsupported response_mode '${mode}'.`);
    if (params.get("response_type") !== "code") {
      // Text: the emulator's own (no recording shows it).
      return deliverError("unsupported_response_type", 70000, "The authorization server only issues authorization codes here.");
    }
    const method = params.get("code_challenge_method");
    if (params.get("code_challenge") && method && method !== "S256" && method !== "plain") {
      // Text: the emulator's own (no recording shows it).
      return deliverError("invalid_request", 501491, `Invalid code_challenge_method '${method}'.`);
    }
    const scope = params.get("scope") ?? "";
    const parsed = this.parseScope(scope);
    if (!parsed.ok) return deliverError("invalid_resource", 500011, parsed.message);
    if (signIn === undefined) return { kind: "signin", app, loginHint: params.get("login_hint") ?? undefined };
    if (signIn === "decline") return deliverError("access_denied", 65004, "User declined to consent to access the app.");
    const tenant = this.pathTenant(tenantSegment);
    if (tenant && !mayAccess(signIn, tenant)) {
      // Text: the emulator's own (no recording shows it).
      return deliverError("invalid_request", 50020, `User account '${signIn.userPrincipalName}' does not exist in tenant '${tenant.displayName}'.`);
    }
    const code = `0.A${base64url(randomBytes(96))}`;
    this.authCodes.set(code, {
      user: signIn,
      signInAt: Date.now(),
      clientId: app.appId,
      redirectUri,
      scope,
      nonce: params.get("nonce") ?? undefined,
      codeChallenge: params.get("code_challenge") ?? undefined,
      codeChallengeMethod: params.get("code_challenge") ? (method ?? "plain") : undefined,
      expiresAt: Date.now() + AUTH_CODE_LIFETIME_MS,
      redeemed: false,
    });
    const fields: Record<string, string> = { code };
    if (params.get("client_info") === "1") fields.client_info = clientInfo(signIn);
    if (state !== null) fields.state = state;
    fields.session_state = newGuid();
    return { kind: "deliver", redirectUri, responseMode: mode, fields };
  }

  private authorizePage(ctx: RequestContext, tenantSegment: string): EmulatorResponse {
    const params = new URLSearchParams(ctx.url.search);
    let signIn: UserRecord | "decline" | undefined;
    if (ctx.method === "POST") {
      const form = new URLSearchParams(ctx.body.toString("utf8"));
      if (form.get("decline")) signIn = "decline";
      else {
        const login = form.get("login") ?? "";
        const user = this.directory.findUser(login);
        if (!user) return htmlPage(200, "Sign in", `<p>There is no account '${esc(login)}' in the emulator.</p>`);
        signIn = user;
      }
    }
    const outcome = this.authorize(tenantSegment, params, signIn);
    switch (outcome.kind) {
      case "page":
        return htmlPage(outcome.status, outcome.title, `<p>${esc(outcome.message)}</p>`);
      case "signin": {
        const users = this.directory.listUsers();
        const options = users
          .map((u) => `<option value="${esc(u.userPrincipalName)}"${u.userPrincipalName === outcome.loginHint ? " selected" : ""}>${esc(u.displayName)} (${esc(u.userPrincipalName)})</option>`)
          .join("");
        return htmlPage(
          200,
          "Sign in to your account",
          `<p>${esc(outcome.app.displayName)} wants to sign you in (AzTokenBridge emulator: no password).</p>` +
            `<form method="post" action="${esc(ctx.url.pathname + ctx.url.search)}"><select name="login">${options}</select> ` +
            `<button type="submit">Sign in</button> <button type="submit" name="decline" value="1">Cancel</button></form>`,
        );
      }
      case "deliver":
        return deliveryResponse(outcome);
    }
  }

  /**
   * Control API: completes a browser sign-in without a browser. Runs /authorize for `url` as the user
   * (or declines), then delivers the answer to the loopback redirect URI as a browser would (GET
   * with the query, or the form_post form). Returns what the loopback listener answered.
   */
  async browserLogin(
    url: string,
    login: string | undefined,
    decline: boolean,
  ): Promise<{ ok: true; body: Record<string, unknown> } | { ok: false; status: number; message: string }> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return { ok: false, status: 400, message: `'url' is not a URL: '${url}'.` };
    }
    const segments = parsed.pathname.split("/").filter((s) => s !== "");
    if (segments.length !== 4 || segments.slice(1).join("/").toLowerCase() !== "oauth2/v2.0/authorize") {
      return { ok: false, status: 400, message: "'url' must be an authorization URL: https://…/{tenant}/oauth2/v2.0/authorize?… ." };
    }
    let signIn: UserRecord | "decline";
    if (decline) signIn = "decline";
    else {
      const user = login ? this.directory.findUser(login) : this.defaultUser;
      if (!user) return { ok: false, status: 404, message: `No user '${login}'.` };
      signIn = user;
    }
    const outcome = this.authorize(decodeURIComponent(segments[0]), parsed.searchParams, signIn);
    if (outcome.kind !== "deliver") return { ok: false, status: 400, message: outcome.kind === "page" ? outcome.message : "sign-in needed" };
    if (outcome.responseMode === "fragment") return { ok: false, status: 400, message: "response_mode=fragment cannot reach a loopback listener." };
    const answer = await deliverToLoopback(outcome);
    return {
      ok: true,
      body: {
        redirectUri: outcome.redirectUri,
        responseMode: outcome.responseMode,
        user: signIn === "decline" ? null : signIn.userPrincipalName,
        error: outcome.fields.error ?? null,
        loopbackStatus: answer.status,
      },
    };
  }

  // ----- device code ----------------------------------------------------------------------------

  private deviceAuthorization(ctx: RequestContext, tenant: TenantRecord | undefined, tenantSegment: string): EmulatorResponse {
    const form = formOf(ctx);
    const clientId = form.get("client_id");
    if (clientId) ctx.logExtras.clientId = clientId;
    if (!clientId) return this.entra.missingParameter(ctx, "client_id");
    const app = this.directory.findAppById(clientId);
    if (!app) return this.unknownApp(ctx, clientId, tenant);
    const scope = form.get("scope");
    if (!scope) return this.entra.missingParameter(ctx, "scope");
    const parsed = this.parseScope(scope);
    if (!parsed.ok) return this.entra.error(ctx, 400, "invalid_resource", 500011, parsed.message);
    const deviceCode = `DAQABIQEAAAD${base64url(randomBytes(120))}`;
    const userCode = newUserCode();
    const now = Date.now();
    this.deviceCodes.set(deviceCode, {
      deviceCode,
      userCode,
      clientId: app.appId,
      scope,
      tenantSegment,
      createdAt: now,
      expiresAt: now + DEVICE_CODE_LIFETIME_SECONDS * 1000,
      status: "pending",
    });
    // Entra ID says https://microsoft.com/devicelogin; the emulator's page is on its own origin.
    const verificationUri = `${ctx.origin}/devicelogin`;
    return jsonResponse(
      200,
      {
        user_code: userCode,
        device_code: deviceCode,
        verification_uri: verificationUri,
        expires_in: DEVICE_CODE_LIFETIME_SECONDS,
        interval: this.deviceCodeIntervalSeconds,
        message: `To sign in, use a web browser to open the page ${verificationUri} and enter the code ${userCode} to authenticate.`,
      },
      this.entra.tokenHeaders(ctx),
    );
  }

  /** Pending (and recently decided) device codes, newest first; never the device_code itself. */
  listDeviceCodes(): Array<Omit<DeviceCodeRecord, "deviceCode" | "signIn"> & { user?: string }> {
    return [...this.deviceCodes.values()]
      .reverse()
      .map(({ deviceCode: _d, signIn, ...rest }) => ({ ...rest, ...(signIn ? { user: signIn.user.userPrincipalName } : {}) }));
  }

  /** Approves (or declines) a pending device code: the one with `userCode`, else the newest pending one. */
  decideDeviceCode(userCode: string | undefined, login: string | undefined, decline: boolean): { ok: true; record: DeviceCodeRecord } | { ok: false; status: number; message: string } {
    const pending = [...this.deviceCodes.values()].filter((d) => d.status === "pending" && d.expiresAt > Date.now());
    const record = userCode ? pending.find((d) => d.userCode.toUpperCase() === userCode.trim().toUpperCase()) : pending[pending.length - 1];
    if (!record) return { ok: false, status: 404, message: userCode ? `No pending device code '${userCode}'.` : "No pending device code." };
    if (decline) {
      record.status = "declined";
      return { ok: true, record };
    }
    const user = login ? this.directory.findUser(login) : this.defaultUser;
    if (!user) return { ok: false, status: 404, message: `No user '${login}'.` };
    record.status = "approved";
    record.signIn = { user, signInAt: Date.now() };
    return { ok: true, record };
  }

  private deviceLoginPage(ctx: RequestContext): EmulatorResponse {
    if (ctx.method === "POST") {
      const form = formOf(ctx);
      const code = (form.get("code") ?? "").trim();
      if (!code) return htmlPage(200, "Enter code", "<p>Enter the code shown by the application.</p>");
      const r = this.decideDeviceCode(code, form.get("login") ?? undefined, !!form.get("decline"));
      if (!r.ok) return htmlPage(200, "Enter code", `<p>${esc(r.message)}</p>`);
      return htmlPage(200, "Enter code", r.record.status === "approved" ? "<p>You have signed in. You may now close this window.</p>" : "<p>Sign-in cancelled.</p>");
    }
    const options = this.directory.listUsers().map((u) => `<option value="${esc(u.userPrincipalName)}">${esc(u.displayName)} (${esc(u.userPrincipalName)})</option>`).join("");
    return htmlPage(
      200,
      "Enter code",
      `<form method="post" action="/devicelogin"><p>Code: <input name="code" autofocus></p><p>Account: <select name="login">${options}</select></p>` +
        `<button type="submit">Next</button> <button type="submit" name="decline" value="1">Cancel</button></form>`,
    );
  }

  private deviceCodeGrant(req: GrantRequest): EmulatorResponse {
    const { ctx, form, entra } = req;
    const code = form.get("device_code");
    if (!code) return entra.missingParameter(ctx, "device_code");
    const record = this.deviceCodes.get(code);
    const clientId = form.get("client_id") ?? "";
    if (!record || record.clientId !== clientId.toLowerCase()) {
      // Text: the emulator's own (no recording shows it).
      return entra.error(ctx, 400, "invalid_grant", 70000, "Provided grant is invalid or malformed.");
    }
    if (record.status === "redeemed") {
      return entra.error(ctx, 400, "invalid_grant", 54005, "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.");
    }
    if (record.expiresAt <= Date.now()) {
      // Text: the emulator's own (no recording shows it).
      return entra.error(ctx, 400, "expired_token", 70020, "The provided value for the input parameter 'device_code' is not valid. This device code has expired.");
    }
    if (record.status === "declined") {
      // Text: the emulator's own (no recording shows it).
      return entra.error(ctx, 400, "authorization_declined", 70000, "The user declined the sign-in request.");
    }
    if (record.status === "pending") {
      return entra.error(ctx, 400, "authorization_pending", 70016, "OAuth 2.0 device flow error. Authorization is pending. Continue polling.");
    }
    const app = this.directory.findAppById(record.clientId)!;
    const auth = this.clientAuth(req, app, record.signIn!.user);
    if (auth) return auth;
    record.status = "redeemed";
    return this.issue(req, app, record.signIn!, record.scope, undefined);
  }

  // ----- authorization code and refresh token grants --------------------------------------------

  private authorizationCodeGrant(req: GrantRequest): EmulatorResponse {
    const { ctx, form, entra } = req;
    const code = form.get("code");
    if (!code) return entra.missingParameter(ctx, "code");
    const record = this.authCodes.get(code);
    if (!record) return entra.error(ctx, 400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.");
    if (record.redeemed) {
      return entra.error(ctx, 400, "invalid_grant", 54005, "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.");
    }
    if (record.expiresAt <= Date.now()) {
      return entra.error(ctx, 400, "invalid_grant", 70008, "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.");
    }
    if ((form.get("client_id") ?? "").toLowerCase() !== record.clientId) {
      return entra.error(ctx, 400, "invalid_grant", 700007, "The grant was issued for a different client id.");
    }
    if ((form.get("redirect_uri") ?? "") !== record.redirectUri) {
      // Text: the emulator's own (no recording shows it).
      return entra.error(ctx, 400, "invalid_grant", 500117, "The reply uri specified in the request does not match the reply uri used to get the authorization code.");
    }
    if (record.codeChallenge) {
      const verifier = form.get("code_verifier") ?? "";
      const computed = record.codeChallengeMethod === "S256" ? createHash("sha256").update(verifier).digest("base64url") : verifier;
      if (!verifier || computed !== record.codeChallenge) {
        return entra.error(ctx, 400, "invalid_grant", 501481, "The Code_Verifier does not match the code_challenge supplied in the authorization request.");
      }
    }
    const app = this.directory.findAppById(record.clientId)!;
    const auth = this.clientAuth(req, app, record.user);
    if (auth) return auth;
    record.redeemed = true;
    return this.issue(req, app, record, form.get("scope") ?? record.scope, record.nonce);
  }

  private refreshTokenGrant(req: GrantRequest): EmulatorResponse {
    const { ctx, form, entra } = req;
    const token = form.get("refresh_token");
    if (!token) return entra.missingParameter(ctx, "refresh_token");
    const record = this.refreshTokens.get(token);
    if (!record) return entra.error(ctx, 400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.");
    ctx.logExtras.user = record.user.userPrincipalName;
    const now = Date.now();
    if (record.expired || now - record.lastUsedAt > REFRESH_TOKEN_INACTIVITY_MS) {
      return entra.error(
        ctx, 400, "invalid_grant", 700082,
        `The refresh token has expired due to inactivity. The token was issued on ${iso7(new Date(record.issuedAt))} and was inactive for 90.00:00:00.`,
      );
    }
    if (record.revokedAt !== undefined) {
      // Text as Entra ID answers a refresh token issued before the user's TokensValidFrom (a password
      // reset, Revoke-MgUserSignInSession); from public reports, not recorded in ../shared/reference.
      return entra.error(
        ctx, 400, "invalid_grant", 50173,
        "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. " +
          `The grant was issued on '${iso7(new Date(record.issuedAt))}' and the TokensValidFrom date (before which tokens are not valid) for this user is '${iso7(new Date(record.revokedAt))}'.`,
      );
    }
    const clientId = (form.get("client_id") ?? "").toLowerCase();
    if (!clientId) return entra.missingParameter(ctx, "client_id");
    if (clientId !== record.clientId) return entra.error(ctx, 400, "invalid_grant", 700007, "The grant was issued for a different client id.");
    const app = this.directory.findAppById(record.clientId);
    if (!app) return this.unknownApp(ctx, clientId, req.tenant);
    const auth = this.clientAuth(req, app, record.user);
    if (auth) return auth;
    const scope = form.get("scope") ?? "";
    const mfa = record.user.interactionRequired;
    if (mfa && record.signInAt < mfa.since) {
      const parsed = this.parseScope(scope);
      const resourceId = parsed.ok ? parsed.value.resource.appId : "00000003-0000-0000-c000-000000000000";
      const texts: Record<number, string> = {
        50076: `Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '${resourceId}'.`,
        50078: `Presented multi-factor authentication has expired due to policies configured by your administrator, you must refresh your multi-factor authentication to access '${resourceId}'.`,
        50079: `Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multi-factor authentication to access '${resourceId}'.`,
      };
      return entra.error(ctx, 400, "invalid_grant", mfa.code, texts[mfa.code], { suberror: "basic_action" });
    }
    record.lastUsedAt = now;
    return this.issue(req, app, record, scope, undefined);
  }

  /** Control API: expires refresh tokens (all, or those of one user). Returns how many. */
  expireRefreshTokens(login?: string): number {
    let n = 0;
    for (const r of this.refreshTokens.values()) {
      if (login && r.user.userPrincipalName.toLowerCase() !== login.toLowerCase()) continue;
      r.expired = true;
      n++;
    }
    return n;
  }

  /**
   * Control API: revokes refresh tokens (all, or those of one user) issued so far, as a password
   * reset or "revoke sign-in sessions" does (AADSTS50173 on their next use). Returns how many.
   */
  revokeRefreshTokens(login?: string): number {
    let n = 0;
    const now = Date.now();
    for (const r of this.refreshTokens.values()) {
      if (login && r.user.userPrincipalName.toLowerCase() !== login.toLowerCase()) continue;
      r.revokedAt ??= now;
      n++;
    }
    return n;
  }

  // ----- shared -----------------------------------------------------------------------------------

  /** Client authentication for a user grant: public clients must not, confidential ones must. */
  private clientAuth(req: GrantRequest, app: AppRecord, user: UserRecord): EmulatorResponse | undefined {
    const { ctx, form, entra } = req;
    const presents = form.has("client_secret") || form.has("client_assertion") || /^basic\s/i.test(header(ctx, "authorization") ?? "");
    if (app.publicClient) {
      if (presents) {
        return entra.error(ctx, 401, "invalid_client", 700025, "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.");
      }
      return undefined;
    }
    if (!presents) {
      return entra.error(ctx, 401, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
    }
    const tenant = this.directory.findTenant(app.tenantId) ?? this.directory.findTenant(user.tenantId)!;
    const auth = entra.authenticateClient(req, tenant);
    return auth.ok ? undefined : auth.response;
  }

  private issue(req: GrantRequest, app: AppRecord, signIn: SignIn, scope: string, nonce: string | undefined): EmulatorResponse {
    const { ctx, form, entra } = req;
    const parsed = this.parseScope(scope);
    if (!parsed.ok) return entra.error(ctx, 400, "invalid_resource", 500011, parsed.message);
    const g = parsed.value;
    const user = signIn.user;
    const tenant = this.pathTenant(req.tenantSegment);
    if (tenant && !mayAccess(user, tenant)) {
      // Text: the emulator's own (no recording shows it).
      return entra.error(ctx, 400, "invalid_grant", 50020, `User account '${user.userPrincipalName}' does not exist in tenant '${tenant.displayName}'.`);
    }
    ctx.logExtras.user = user.userPrincipalName;
    ctx.logExtras.resource = g.resourceUri;
    const now = Math.floor(Date.now() / 1000);
    const confidential = !app.publicClient;
    const appidacr = !confidential ? "0" : form.has("client_assertion") ? "2" : "1";
    // The tenant the token is for: the path's (a customer tenant, for a partner's delegated admin), else the user's.
    const tid = tenant?.tenantId ?? user.tenantId;
    const sts = `https://sts.windows.net/${tid}/`;
    const mfa = user.interactionRequired !== undefined && signIn.signInAt >= user.interactionRequired.since;
    const accessToken = this.tokens.sign({
      aud: g.resourceUri,
      iss: sts,
      iat: now,
      nbf: now,
      exp: now + USER_TOKEN_LIFETIME_SECONDS,
      acr: "1",
      aio: randomBytes(48).toString("base64"),
      amr: mfa ? ["pwd", "mfa"] : ["pwd"],
      appid: app.appId,
      appidacr,
      family_name: user.surname,
      given_name: user.givenName,
      idtyp: "user",
      ipaddr: "127.0.0.1",
      name: user.displayName,
      oid: user.objectId,
      rh: `0.A${base64url(randomBytes(30))}.`,
      scp: g.scp,
      sub: base64url(createHash("sha256").update(`${user.objectId}|${app.appId}`).digest()).slice(0, 43),
      tid,
      unique_name: user.userPrincipalName,
      upn: user.userPrincipalName,
      uti: base64url(randomBytes(16)),
      ver: "1.0",
    });
    const body: Record<string, unknown> = {
      token_type: "Bearer",
      scope: g.scopes.join(" "),
      expires_in: USER_TOKEN_LIFETIME_SECONDS,
      ext_expires_in: USER_TOKEN_LIFETIME_SECONDS,
      access_token: accessToken,
    };
    if (g.offlineAccess) {
      const rt = `1.A${base64url(randomBytes(180))}`;
      const t = Date.now();
      this.refreshTokens.set(rt, { user, signInAt: signIn.signInAt, clientId: app.appId, issuedAt: t, lastUsedAt: t });
      body.refresh_token = rt;
      body.refresh_token_expires_in = REFRESH_TOKEN_INACTIVITY_MS / 1000;
    }
    if (g.openid) {
      body.id_token = this.tokens.sign({
        aud: app.appId,
        iss: `${ctx.origin}/${tid}/v2.0`,
        iat: now,
        nbf: now,
        exp: now + USER_TOKEN_LIFETIME_SECONDS,
        name: user.displayName,
        ...(nonce ? { nonce } : {}),
        oid: user.objectId,
        preferred_username: user.userPrincipalName,
        rh: `0.A${base64url(randomBytes(30))}.`,
        sub: base64url(createHash("sha256").update(`${user.objectId}|${app.appId}|sub`).digest()).slice(0, 43),
        tid,
        uti: base64url(randomBytes(16)),
        ver: "2.0",
      });
    }
    if (form.get("client_info") === "1") body.client_info = clientInfo(user);
    return jsonResponse(200, body, entra.tokenHeaders(ctx));
  }

  /** The resource a user-flow scope string names (one resource per request, as Entra ID requires). */
  parseScope(scope: string): { ok: true; value: GrantScope } | { ok: false; message: string } {
    const all = scope.split(/\s+/).filter((s) => s !== "");
    const lower = all.map((s) => s.toLowerCase());
    const openid = lower.includes("openid");
    const offlineAccess = lower.includes("offline_access");
    const resourceScopes = all.filter((s) => !OIDC_SCOPES.includes(s.toLowerCase()));
    if (resourceScopes.length === 0) resourceScopes.push(`${GRAPH}/User.Read`);
    const split = resourceScopes.map((s) => {
      const i = s.lastIndexOf("/");
      // A bare permission ("User.Read") is Microsoft Graph's.
      return i <= "https://".length ? { uri: GRAPH, perm: s } : { uri: s.slice(0, i), perm: s.slice(i + 1) };
    });
    const uri = split[0].uri.replace(/\/+$/, "");
    const resource = this.directory.findResource(uri);
    if (!resource) {
      return {
        ok: false,
        message:
          `The resource principal named ${uri} was not found in the tenant. This can happen if the application has not been installed by the administrator ` +
          "of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.",
      };
    }
    const perms = split.filter((s) => s.uri.replace(/\/+$/, "").toLowerCase() === uri.toLowerCase()).map((s) => s.perm);
    const granted = perms.filter((p) => p !== ".default");
    if (granted.length === 0) granted.push(uri === GRAPH ? "User.Read" : "user_impersonation");
    return {
      ok: true,
      value: { resource, resourceUri: uri, scopes: granted.map((p) => `${uri}/${p}`), scp: granted.join(" "), openid, offlineAccess },
    };
  }

  private pathTenant(segment: string): TenantRecord | undefined {
    return ["common", "organizations", "consumers"].includes(segment.toLowerCase()) ? undefined : this.directory.findTenant(segment);
  }

  private unknownApp(ctx: RequestContext, clientId: string, tenant: TenantRecord | undefined): EmulatorResponse {
    return this.entra.error(
      ctx, 400, "unauthorized_client", 700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant?.displayName ?? "the tenant"}'. ` +
        "This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. " +
        "You may have sent your authentication request to the wrong tenant.",
    );
  }
}

// ----- helpers ---------------------------------------------------------------------------------------

function formOf(ctx: RequestContext): URLSearchParams {
  const type = (header(ctx, "content-type") ?? "").toLowerCase();
  return type.startsWith("application/x-www-form-urlencoded") ? new URLSearchParams(ctx.body.toString("utf8")) : new URLSearchParams();
}

/** A user signs in to their own tenant, or to a customer tenant whose delegated admin partner is theirs. */
function mayAccess(user: UserRecord, tenant: TenantRecord): boolean {
  return tenant.tenantId === user.tenantId || (tenant.delegatedAdminPartners ?? []).includes(user.tenantId);
}

function clientInfo(user: UserRecord): string {
  return base64url(JSON.stringify({ uid: user.objectId, utid: user.tenantId }));
}

/** `XXXXXXXXX`: nine letters and digits, as Entra ID's user codes look. */
function newUserCode(): string {
  const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  const bytes = randomBytes(9);
  let out = "";
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

function isLoopbackRedirect(uri: string): boolean {
  try {
    const u = new URL(uri);
    return (u.protocol === "http:" || u.protocol === "https:") && ["localhost", "127.0.0.1", "[::1]"].includes(u.hostname.toLowerCase());
  } catch {
    return false;
  }
}

function page(status: number, title: string, message: string): AuthorizeOutcome {
  return { kind: "page", status, title, message };
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function htmlPage(status: number, title: string, inner: string): EmulatorResponse {
  return {
    status,
    headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store", "X-Frame-Options": "DENY" },
    body: `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${esc(title)}</title></head><body><h1>${esc(title)}</h1>${inner}</body></html>`,
  };
}

/** The browser-facing answer of /authorize: a 302 (query, fragment) or the auto-submitting form (form_post). */
function deliveryResponse(o: Extract<AuthorizeOutcome, { kind: "deliver" }>): EmulatorResponse {
  if (o.responseMode === "form_post") {
    const inputs = Object.entries(o.fields).map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`).join("");
    return htmlPage(200, "Working...", `<form method="POST" name="hiddenform" action="${esc(o.redirectUri)}">${inputs}<noscript><p>Script is disabled. Click Submit to continue.</p><input type="submit" value="Submit"></noscript></form><script>document.forms[0].submit();</script>`);
  }
  const u = new URL(o.redirectUri);
  const q = new URLSearchParams(o.fields).toString();
  const location = o.responseMode === "fragment" ? `${o.redirectUri}#${q}` : (u.search ? `${o.redirectUri}&${q}` : `${o.redirectUri}${o.redirectUri.includes("?") ? "" : "?"}${q}`);
  return { status: 302, headers: { Location: location, "Cache-Control": "no-store" }, body: "" };
}

/** What a browser does with the answer: GET the redirect with the query, or POST the form. */
function deliverToLoopback(o: Extract<AuthorizeOutcome, { kind: "deliver" }>): Promise<{ status: number }> {
  const target = new URL(o.redirectUri);
  const host = target.hostname === "localhost" ? "127.0.0.1" : target.hostname.replace(/^\[|\]$/g, "");
  const form = new URLSearchParams(o.fields).toString();
  const path = o.responseMode === "form_post" ? `${target.pathname}${target.search}` : `${target.pathname}${target.search ? `${target.search}&` : "?"}${form}`;
  return new Promise((resolve) => {
    const req = http.request(
      {
        host,
        port: target.port || 80,
        method: o.responseMode === "form_post" ? "POST" : "GET",
        path,
        agent: false,
        headers: {
          Host: target.host,
          Connection: "close",
          ...(o.responseMode === "form_post" ? { "Content-Type": "application/x-www-form-urlencoded", "Content-Length": Buffer.byteLength(form) } : {}),
        },
        timeout: 10_000,
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0 }));
        res.on("error", () => resolve({ status: res.statusCode ?? 0 }));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => resolve({ status: 0 }));
    if (o.responseMode === "form_post") req.write(form);
    req.end();
  });
}

/** `2024-10-02T22:05:03.6755165Z` (.NET round-trip format, 7 fractional digits). */
function iso7(d: Date): string {
  return d.toISOString().replace(/Z$/, "0000Z");
}
