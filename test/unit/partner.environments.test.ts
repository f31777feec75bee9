/**
 * -Environment at the network level, without AZURE_AUTHORITY_HOST: the hosts msal-node really calls
 * for each environment (global fetch stubbed: nothing leaves the machine). AzureGermanCloud makes no
 * call at all.
 */
import { newAccessToken } from "../../src/partner/handlers";
import { validateParams } from "../../src/partner/validation";
import type { PartnerEnvironmentName } from "../../src/protocol";
import { toResponseError } from "../../src/rpc/errors";

const TENANT = "f82175d1-9a74-4351-bdd0-7fa19a65ca08";
const CLIENT = "22bd5aae-c71c-4cd8-b121-2e614bbac154";
const realFetch = globalThis.fetch;
let calls: string[] = [];

beforeEach(() => {
  calls = [];
  globalThis.fetch = (async (input: string | URL | Request) => {
    const url = new URL(String(input));
    calls.push(`${url.origin}${url.pathname}`);
    const json = (body: unknown) => new Response(JSON.stringify(body), { status: 200, headers: { "content-type": "application/json" } });
    if (url.pathname.endsWith("/.well-known/openid-configuration")) {
      const base = `${url.origin}/${TENANT}`;
      return json({ authorization_endpoint: `${base}/oauth2/v2.0/authorize`, token_endpoint: `${base}/oauth2/v2.0/token`, issuer: `${base}/v2.0`, jwks_uri: `${base}/discovery/v2.0/keys` });
    }
    const claims = Buffer.from(JSON.stringify({ tid: TENANT })).toString("base64url");
    return json({ token_type: "Bearer", expires_in: 3599, ext_expires_in: 3599, access_token: `e30.${claims}.c2ln` });
  }) as typeof fetch;
});
afterAll(() => {
  globalThis.fetch = realFetch;
});

const spCall = (environment: PartnerEnvironmentName) =>
  newAccessToken(
    {
      context: { env: {} },
      parameterSet: "ServicePrincipal",
      environment,
      applicationId: CLIENT,
      tenant: TENANT,
      scopes: ["https://api.partnercenter.microsoft.com/.default"],
      credential: { userName: CLIENT, password: "secret-value" },
    },
    new AbortController().signal,
  );

test.each([
  ["AzureCloud", [`https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/token`]],
  // msal-node resolves the China alias to its preferred network host.
  ["AzureChinaCloud", [`https://login.partner.microsoftonline.cn/${TENANT}/oauth2/v2.0/token`]],
  ["AzureUSGovernment", [`https://login.microsoftonline.us/${TENANT}/oauth2/v2.0/token`]],
  // A custom authority: its OpenID metadata first.
  ["AzurePPE", [`https://login.windows-ppe.net/${TENANT}/v2.0/.well-known/openid-configuration`, `https://login.windows-ppe.net/${TENANT}/oauth2/v2.0/token`]],
] as const)("%s signs in at its own host", async (environment, expected) => {
  const r = await spCall(environment);
  expect(r.result!.tenantId).toBe(TENANT);
  expect(r.info.redirectedTo).toBeUndefined();
  expect(calls).toEqual(expected);
});

test("AzureGermanCloud: refused, no request made", async () => {
  const e = await spCall("AzureGermanCloud").catch((x) => x);
  expect(toResponseError(e).data).toMatchObject({ category: "InvalidArgument", errorId: "EnvironmentRetired", target: "Environment" });
  expect(calls).toEqual([]);
});

test("-Environment in any case, as PowerShell binds it (Az's enum parameters): azurechinacloud signs in at China's host; info names it canonically", async () => {
  const r = await spCall("azurechinacloud" as PartnerEnvironmentName);
  expect(r.info.environment).toBe("AzureChinaCloud");
  expect(calls).toEqual([`https://login.partner.microsoftonline.cn/${TENANT}/oauth2/v2.0/token`]);
  const german = await spCall("AZUREGERMANCLOUD" as PartnerEnvironmentName).catch((x) => x);
  expect(toResponseError(german).data).toMatchObject({ errorId: "EnvironmentRetired" });
  const unknown = await spCall("AzureMoon" as PartnerEnvironmentName).catch((x) => x);
  expect(toResponseError(unknown).data).toMatchObject({ errorId: "InvalidEnvironment" });
});

test("-Module in any case: exchangeonline is ExchangeOnline; another name is refused", () => {
  const p = { context: { env: {} }, parameterSet: "ByModule", module: "exchangeonline" } as any;
  validateParams(p);
  expect(p.module).toBe("ExchangeOnline");
  const bad = { context: { env: {} }, parameterSet: "ByModule", module: "Teams" } as any;
  expect(toResponseError((() => { try { validateParams(bad); } catch (e) { return e; } })()).data).toMatchObject({ errorId: "InvalidModule" });
});
