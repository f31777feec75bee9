/**
 * Input that API Management would reject is refused before any network call, with the
 * PowerShell parameter at fault as the target.
 */
import { checkServiceRef, checkUserFilters, checkUserId, MAX_TOKEN_LIFETIME_MS, parseExpiry, parseKeyType } from "../../src/apim/validation";
import { checkRegistryRef, checkScopeMapName, checkTokenName, checkTokenProperties } from "../../src/acr/validation";
import { resolveSettings } from "../../src/azure/settings";
import { accessTokenResult, MAX_DATE_MS, resolveAuthority, tokenExpiryIso } from "../../src/partner/validation";
import { BridgeError, escapeControl, quote, toResponseError } from "../../src/rpc/errors";
import { BridgeErrorCodes } from "../../src/protocol";

function refusal(f: () => unknown): BridgeError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(BridgeError);
    return e as BridgeError;
  }
  throw new Error("expected the input to be refused");
}

describe("API Management input validation", () => {
  const now = Date.parse("2026-11-23T10:00:00Z");

  test("accepts the seed's resource group and service", () => {
    expect(() => checkServiceRef({ resourceGroupName: "Api-Default-WestUS", serviceName: "contoso" })).not.toThrow();
    expect(() => checkServiceRef({ resourceGroupName: "rg.(x)_1", serviceName: "a-1" })).not.toThrow();
  });

  test.each([
    ["", "ResourceGroupName"],
    ["ends.", "ResourceGroupName"],
    ["has space", "ResourceGroupName"],
    ["x".repeat(91), "ResourceGroupName"],
  ])("refuses resource group %p", (rg, target) => {
    const e = refusal(() => checkServiceRef({ resourceGroupName: rg, serviceName: "contoso" }));
    expect(e.code).toBe(BridgeErrorCodes.InvalidInput);
    expect(e.data).toMatchObject({ category: "InvalidArgument", errorId: "InvalidResourceGroupName", target });
  });

  test.each(["", "1abc", "abc-", "a_b", "x".repeat(51)])("refuses service name %p", (svc) => {
    const e = refusal(() => checkServiceRef({ resourceGroupName: "rg", serviceName: svc }));
    expect(e.data).toMatchObject({ errorId: "InvalidServiceName", target: "ServiceName" });
  });

  test("user id: 1 to 80 characters", () => {
    expect(() => checkUserId("integration")).not.toThrow();
    expect(refusal(() => checkUserId("")).data.target).toBe("UserId");
    expect(refusal(() => checkUserId("u".repeat(81))).data.errorId).toBe("InvalidUserId");
  });

  test("key type is Primary or Secondary in any case, sent in lower case", () => {
    expect(parseKeyType("Primary")).toBe("primary");
    expect(parseKeyType("SECONDARY")).toBe("secondary");
    expect(refusal(() => parseKeyType("Tertiary")).data).toMatchObject({ errorId: "InvalidKeyType", target: "KeyType" });
  });

  test("expiry must be after now and at most 30 days ahead", () => {
    expect(parseExpiry("2026-11-23T18:00:00Z", now).toISOString()).toBe("2026-11-23T18:00:00.000Z");
    expect(parseExpiry(new Date(now + MAX_TOKEN_LIFETIME_MS).toISOString(), now).getTime()).toBe(now + MAX_TOKEN_LIFETIME_MS);
    expect(refusal(() => parseExpiry("2026-11-23T09:59:59Z", now)).message).toMatch(/in the past/);
    expect(refusal(() => parseExpiry(new Date(now + MAX_TOKEN_LIFETIME_MS + 1000).toISOString(), now)).message).toMatch(/30 days/);
    expect(refusal(() => parseExpiry("not a date", now)).data).toMatchObject({ errorId: "InvalidExpiry", target: "Expiry" });
  });
});

describe("issue R: ids in URL paths, filters, endpoints, token expiries, control characters", () => {
  test("group ids '.' and '..' are refused like user ids (URL dot-segments); other dots are kept", () => {
    for (const id of [".", ".."]) {
      const e = refusal(() => checkUserFilters({ groupId: id }));
      expect(e.data).toMatchObject({ category: "InvalidArgument", errorId: "InvalidGroupId", target: "GroupId" });
      expect(e.message).toBe(`Group id '${id}' is invalid: '.' and '..' cannot name a group.`);
    }
    expect(() => checkUserFilters({ groupId: "a.b" })).not.toThrow();
    expect(() => checkUserFilters({ groupId: "..." })).not.toThrow();
  });

  test("container registry path ids cannot be '.' or '..' either", () => {
    const ref = { resourceGroupName: "lnxtest", registryName: "lnxcr" };
    expect(refusal(() => checkRegistryRef({ ...ref, resourceGroupName: ".." })).data.errorId).toBe("InvalidResourceGroupName");
    expect(refusal(() => checkRegistryRef({ ...ref, resourceGroupName: "." })).data.errorId).toBe("InvalidResourceGroupName");
    expect(refusal(() => checkRegistryRef({ ...ref, registryName: ".." })).data.errorId).toBe("InvalidRegistryName");
    expect(refusal(() => checkTokenName("..")).data.errorId).toBe("InvalidTokenName");
    expect(refusal(() => checkScopeMapName("..")).data.errorId).toBe("InvalidScopeMapName");
    expect(refusal(() => checkTokenProperties({ scopeMapId: "/subscriptions/s/resourceGroups/../providers/Microsoft.ContainerRegistry/registries/r/scopeMaps/m" })).data.errorId).toBe("InvalidScopeMapId");
  });

  test("filter values longer than the user property are refused naming the parameter and the limit", () => {
    expect(() => checkUserFilters({ firstName: "f".repeat(100), lastName: "l".repeat(100), email: "e".repeat(254) })).not.toThrow();
    const first = refusal(() => checkUserFilters({ firstName: "f".repeat(100_000) }));
    expect(first.data).toMatchObject({ errorId: "InvalidFirstName", target: "FirstName" });
    expect(first.message).toBe("-FirstName is 100000 characters long: a user's FirstName is at most 100 characters, so no user can match it.");
    expect(refusal(() => checkUserFilters({ lastName: "l".repeat(101) })).data).toMatchObject({ errorId: "InvalidLastName", target: "LastName" });
    expect(refusal(() => checkUserFilters({ email: "e".repeat(255) })).message).toMatch(/^-Email is 255 characters long: .* at most 254 characters/);
  });

  test("AZTOKENBRIDGE_ARM_ENDPOINT and AZURE_AUTHORITY_HOST must be https URLs; blank is refused, not taken as unset", () => {
    const settings = (env: Record<string, string>) => () => resolveSettings({ env });
    for (const [name, errorId] of [["AZTOKENBRIDGE_ARM_ENDPOINT", "InvalidArmEndpoint"], ["AZURE_AUTHORITY_HOST", "InvalidAuthorityHost"]]) {
      for (const v of ["junk", "https://", "http://127.0.0.1:1", "ftp://x"]) {
        const e = refusal(settings({ [name]: v }));
        expect(e.data).toMatchObject({ category: "InvalidArgument", errorId, target: name });
        expect(e.message).toMatch(new RegExp(`^${name} '${v.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}' is not an https URL: it must be `));
      }
      const blank = refusal(settings({ [name]: "   " }));
      expect(blank.data).toMatchObject({ errorId, target: name });
      expect(blank.message).toMatch(new RegExp(`^${name} is set but blank: it must be .*Remove the variable to use the cloud's\\.$`));
    }
    expect(resolveSettings({ env: { AZTOKENBRIDGE_ARM_ENDPOINT: "https://127.0.0.1:4443/", AZURE_AUTHORITY_HOST: "https://127.0.0.1:4443" } })).toMatchObject({
      armEndpoint: "https://127.0.0.1:4443",
      authorityHost: "https://127.0.0.1:4443",
    });
    const partner = refusal(() => resolveAuthority({ parameterSet: "User", context: { env: { AZURE_AUTHORITY_HOST: " \t " } } }));
    expect(partner.data).toMatchObject({ errorId: "InvalidAuthorityHost", target: "AZURE_AUTHORITY_HOST" });
  });

  test("a huge tenant is refused by length (msal fails on it with 'Invalid regular expression')", () => {
    const e = refusal(() => resolveAuthority({ context: { env: {} }, parameterSet: "ServicePrincipal", tenant: "a".repeat(100_000) }));
    expect(e.data).toMatchObject({ errorId: "InvalidTenant", target: "Tenant" });
    expect(e.message).toBe("-Tenant is 100000 characters long: a tenant is a tenant id (GUID) or a domain name of at most 253 characters.");
    expect(() => resolveAuthority({ context: { env: {} }, parameterSet: "ServicePrincipal", tenant: `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(61)}` })).not.toThrow();
  });

  test("a token whose expiry is beyond 9999-12-31 is a clear error, not 'Invalid time value'", () => {
    const jwt = (claims: object) => `${Buffer.from("{}").toString("base64url")}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.x`;
    for (const exp of [1e300, 1e14, 253402300800]) {
      const e = refusal(() => accessTokenResult(jwt({ exp }), ["s"]));
      expect(e.data).toMatchObject({ category: "InvalidArgument", errorId: "InvalidAccessToken", target: "AccessToken" });
      expect(e.message).toMatch(/^The access token's expiry \(exp \S+\) is after 9999-12-31/);
    }
    expect(accessTokenResult(jwt({ exp: 253402300799 }), ["s"], 0).expiresOn).toBe("9999-12-31T23:59:59.000Z");
    expect(tokenExpiryIso(new Date(MAX_DATE_MS), "expires_in")).toBe("9999-12-31T23:59:59.999Z");
    for (const d of [new Date(MAX_DATE_MS + 1), new Date(NaN)]) {
      const e = refusal(() => tokenExpiryIso(d, "expires_in"));
      expect(e.data).toMatchObject({ category: "AuthenticationError", errorId: "InvalidTokenExpiry" });
      expect(e.message).toMatch(/^Entra ID answered a token that expires after 9999-12-31 \(expires_in\)/);
    }
  });

  test("control characters are escaped where input is quoted, and in every message the server sends", () => {
    const evil = "\u001b[2J\u001b]0;t\u0007\u009b31m\u0000\u007f\r\n\t";
    expect(escapeControl(evil)).toBe("\\u001b[2J\\u001b]0;t\\u0007\\u009b31m\\u0000\\u007f\\u000d\\u000a\\u0009");
    expect(escapeControl("a\r\nb\tc\rd\n", true)).toBe("a\r\nb\tc\\u000dd\n");
    expect(quote(`x${evil}`)).toBe("'x\\u001b[2J\\u001b]0;t\\u0007\\u009b31m\\u0000\\u007f\\u000d\\u000a\\u0009'");
    expect(refusal(() => checkUserId(`${"u".repeat(80)}\u001b[2J`)).message).toBe(`User id '${"u".repeat(80)}\\u001b[2J' is invalid: it must be 1 to 80 characters.`);
    const r = toResponseError(new BridgeError(BridgeErrorCodes.ServiceError, "line one\nquoted \u001b[31m\u009b", {
      category: "InvalidArgument",
      errorId: "X",
      serviceMessage: "svc \u001b]0;x\u0007",
      details: [{ code: "c\u001b", message: "m\u001b", target: "t\u001b" }],
    }));
    expect(r.message).toBe("line one\nquoted \\u001b[31m\\u009b");
    expect(r.data).toMatchObject({ serviceMessage: "svc \\u001b]0;x\\u0007", details: [{ code: "c\\u001b", message: "m\\u001b", target: "t\\u001b" }] });
    const plain = new BridgeError(BridgeErrorCodes.InvalidInput, "fine", { category: "InvalidArgument", errorId: "Y" });
    expect(toResponseError(plain).data).toEqual(plain.data);
  });
});
