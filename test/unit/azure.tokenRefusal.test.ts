/**
 * tokenCache.ts: a token ARM refuses is dropped (and the object handed out marked expired), the next
 * fetch asks for a token issued from now on, and tokenRefusalPolicy sends a request at most twice.
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/identity";
import { createHttpHeaders, createPipelineRequest, PipelineRequest, PipelineResponse, RestError } from "@azure/core-rest-pipeline";
import { CachingCredential, TokenOrigin, tokenRefusalPolicy } from "../../src/azure/tokenCache";
import { BridgeError } from "../../src/rpc/errors";

class Counting implements TokenCredential {
  calls: GetTokenOptions[] = [];
  async getToken(_scopes: string | string[], options: GetTokenOptions = {}): Promise<AccessToken> {
    this.calls.push(options);
    return { token: `t${this.calls.length}`, expiresOnTimestamp: Date.now() + 3600_000 };
  }
}

const origin = (refetch: boolean): TokenOrigin => ({ source: "the test source", renew: "Renew it.", audience: "Check the audience.", tenant: "Check the tenant.", refetch });

function answer(request: PipelineRequest, status: number, code?: string): PipelineResponse {
  return {
    request,
    status,
    headers: createHttpHeaders({ "x-ms-request-id": "11111111-2222-3333-4444-555555555555" }),
    bodyAsText: code ? JSON.stringify({ error: { code, message: `ARM says ${code}.` } }) : "{}",
  };
}

/** A pipeline below the policy: signs with the credential, answers with the next status (or throws as an ARM client's deserialization does). */
function below(credential: CachingCredential, statuses: [number, string?][], throwErrors: boolean) {
  const sent: string[] = [];
  return {
    sent,
    next: async (request: PipelineRequest): Promise<PipelineResponse> => {
      const token = await credential.getToken("https://management.azure.com/.default");
      request.headers.set("authorization", `Bearer ${token.token}`);
      sent.push(token.token);
      const [status, code] = statuses[Math.min(sent.length - 1, statuses.length - 1)];
      const response = answer(request, status, code);
      if (status >= 400 && throwErrors) throw new RestError(`ARM says ${code}.`, { statusCode: status, request, response });
      return response;
    },
  };
}

const request = () => createPipelineRequest({ url: "https://management.azure.com/subscriptions/x?api-version=1" });

describe("CachingCredential.refuse", () => {
  test("the refused token leaves the cache, the object handed out is marked expired, the next fetch asks for a fresh token (claims nbf)", async () => {
    const inner = new Counting();
    const cache = new CachingCredential(inner);
    const first = await cache.getToken("s");
    expect(await cache.getToken("s")).toBe(first); // cached
    cache.refuse(first.token);
    expect(first.expiresOnTimestamp).toBe(0);
    const second = await cache.getToken("s");
    expect(second.token).toBe("t2");
    const claims = JSON.parse(inner.calls[1].claims!);
    expect(Number(claims.access_token.nbf.value)).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) - 5);
    expect(claims.access_token.nbf.essential).toBe(true);
    await cache.getToken("s");
    expect(inner.calls).toHaveLength(2); // fresh once, then cached again
  });
});

describe("tokenRefusalPolicy", () => {
  for (const throwErrors of [false, true]) {
    const how = throwErrors ? "(errors thrown as RestError)" : "(errors returned)";
    test(`a source that can give a new token is asked once more; the second answer is the call's ${how}`, async () => {
      const cache = new CachingCredential(new Counting());
      const { next, sent } = below(cache, [[401, "ExpiredAuthenticationToken"], [200]], throwErrors);
      const response = await tokenRefusalPolicy({ credential: cache, origin: () => origin(true) }).sendRequest(request(), next);
      expect(response.status).toBe(200);
      expect(sent).toEqual(["t1", "t2"]);
    });

    test(`two refusals: two requests, then one error with ARM's code, the source and the fix ${how}`, async () => {
      const cache = new CachingCredential(new Counting());
      const { next, sent } = below(cache, [[401, "InvalidAuthenticationTokenAudience"]], throwErrors);
      const e = await tokenRefusalPolicy({ credential: cache, origin: () => origin(true) }).sendRequest(request(), next).catch((x) => x);
      expect(e).toBeInstanceOf(BridgeError);
      expect(e.message).toBe(
        "ARM says InvalidAuthenticationTokenAudience. Azure Resource Manager refused the token from the test source as for another audience, and so was the new one it gave when asked again. Check the audience.",
      );
      expect(e.data).toMatchObject({ category: "AuthenticationError", errorId: "InvalidAuthenticationTokenAudience", statusCode: 401, serviceCode: "InvalidAuthenticationTokenAudience", requestId: "11111111-2222-3333-4444-555555555555", recommendedAction: "Check the audience." });
      expect(sent).toEqual(["t1", "t2"]);
    });
  }

  test("a handed-over token (no new one to ask for), or one of another tenant: one request, then the error", async () => {
    for (const [refetch, code, fix] of [[false, "InvalidAuthenticationToken", "Renew it."], [true, "InvalidAuthenticationTokenTenant", "Check the tenant."]] as const) {
      const cache = new CachingCredential(new Counting());
      const { next, sent } = below(cache, [[401, code], [200]], true);
      const e = await tokenRefusalPolicy({ credential: cache, origin: () => origin(refetch) }).sendRequest(request(), next).catch((x) => x);
      expect(e).toBeInstanceOf(BridgeError);
      expect(e.data.recommendedAction).toBe(fix);
      expect(sent).toEqual(["t1"]);
    }
  });

  test("other answers pass through untouched: 401 of another code, 403", async () => {
    for (const [status, code] of [[401, "AuthenticationFailed"], [403, "AuthorizationFailed"]] as const) {
      const cache = new CachingCredential(new Counting());
      const { next, sent } = below(cache, [[status, code]], true);
      const e = await tokenRefusalPolicy({ credential: cache, origin: () => origin(true) }).sendRequest(request(), next).catch((x) => x);
      expect(e).toBeInstanceOf(RestError);
      expect(sent).toEqual(["t1"]);
    }
  });
});
