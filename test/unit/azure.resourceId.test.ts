/**
 * ARM resource ids are parsed by the server only (src/azure/resourceId.ts): the strict templates,
 * Az.ApiManagement's lenient parse of a service's id (New-AzApiManagementContext -ResourceId), the
 * registry identities (-InputObject) with Az's error texts, and `arm/parseResourceId`'s errors as the
 * module writes them.
 */
import {
  apimServiceParts,
  matchResourceId,
  MAX_APIM_RESOURCE_ID_LENGTH,
  parseResourceId,
  RESOURCE_ID_TEMPLATES,
  resourceGroupOf,
} from "../../src/azure/resourceId";
import { ArmParseResourceIdParams, BridgeErrorCodes } from "../../src/protocol";
import { BridgeError } from "../../src/rpc/errors";

function refusal(p: ArmParseResourceIdParams): BridgeError {
  try {
    parseResourceId(p);
  } catch (e) {
    expect(e).toBeInstanceOf(BridgeError);
    return e as BridgeError;
  }
  throw new Error("expected the id to be refused");
}

const SUB = "9e223dbe-3399-4e19-88eb-0975f02ac87f";
const REG = `/subscriptions/${SUB}/resourceGroups/lnxtest/providers/Microsoft.ContainerRegistry/registries/lnxcr`;
const TOKEN_URI =
  "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ContainerRegistry/registries/{registryName}/tokens/{tokenName}";
const SCOPE_MAP_URI =
  "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ContainerRegistry/registries/{registryName}/scopeMaps/{scopeMapName}";

describe("Az.ApiManagement's lenient parse of a service's id (New-AzApiManagementContext -ResourceId)", () => {
  // Expected values: Az's parse as the module had it (module/Private/Apim.ps1, ConvertFrom-AzTokenBridgeApimResourceId, run in pwsh).
  test.each<[string, string | null, string | null, string | null]>([
    [`/subscriptions/${SUB}/resourceGroups/rg1/providers/Microsoft.ApiManagement/service/svc1`, SUB, "rg1", "svc1"],
    // Any id below the service: a user's.
    ["/subscriptions/s/resourceGroups/rg1/providers/Microsoft.ApiManagement/service/svc1/users/u1", "s", "rg1", "svc1"],
    ["/SUBSCRIPTIONS/s/RESOURCEGROUPS/rg2/PROVIDERS/MICROSOFT.APIMANAGEMENT/SERVICE/svc2", "s", "rg2", "svc2"],
    ["not an id", null, null, null],
    ["", null, null, null],
    // The resource group runs to the last '/providers/' after '/resourcegroups/'.
    ["/subscriptions/s/resourceGroups/a/providers/b/providers/Microsoft.ApiManagement/service/svc", "s", "a/providers/b", "svc"],
    ["/resourceGroups/a/b/providers/", null, "a/b", null],
    // …without whitespace (.NET's \s: NEL is whitespace, a byte order mark is not); a later '/resourcegroups/' after it counts.
    ["/subscriptions/s/resourceGroups/rg one/providers/Microsoft.ApiManagement/service/svc", "s", null, "svc"],
    ["/subscriptions/s/resourceGroups/x y/resourceGroups/rg3/providers/Microsoft.ApiManagement/service/svc", "s", "rg3", "svc"],
    ["/subscriptions/s/resourceGroups/rg\u0085/providers/Microsoft.ApiManagement/service/svc", "s", null, "svc"],
    ["/subscriptions/s/resourceGroups/rg\ufeff/providers/Microsoft.ApiManagement/service/svc", "s", "rg\ufeff", "svc"],
    // At least one character.
    ["/subscriptions/s/resourceGroups//providers/Microsoft.ApiManagement/service/svc", "s", null, "svc"],
    // The subscription: a leading '/subscriptions/', a non-empty segment and a '/' after it.
    ["/subscriptions/abc", null, null, null],
    ["/subscriptions//resourceGroups/rg/providers/x", null, "rg", null],
    ["prefix/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/svc", null, "rg", "svc"],
    // The service: the first non-empty segment after the marker.
    ["/providers/Microsoft.ApiManagement/service//providers/Microsoft.ApiManagement/service/b/c", null, null, "b"],
    ["/providers/Microsoft.ApiManagement/service/", null, null, null],
  ])("%j", (id, subscriptionId, resourceGroupName, serviceName) => {
    expect(apimServiceParts(id)).toEqual({ subscriptionId, resourceGroupName, serviceName });
    expect(parseResourceId({ kind: "ApiManagementService", resourceId: id })).toEqual({ subscriptionId, resourceGroupName, serviceName });
  });

  test("linear time: ids made to backtrack Az's patterns (20 KB took Az 10 s) are parsed at once, 1 MB too", () => {
    const started = performance.now();
    expect(apimServiceParts("/subscriptions/x/resourcegroups/" + "a/resourcegroups/".repeat(1200))).toEqual({ subscriptionId: "x", resourceGroupName: null, serviceName: null });
    expect(apimServiceParts("/resourcegroups/ ".repeat(60_000)).resourceGroupName).toBeNull();
    expect(apimServiceParts("/providers/microsoft.apimanagement/service/".repeat(25_000)).serviceName).toBeNull();
    expect(apimServiceParts("/resourcegroups/a" + "/providers/".repeat(100_000)).resourceGroupName).toBe("a" + "/providers/".repeat(99_999));
    expect(performance.now() - started).toBeLessThan(1000);
  });

  test(`an id over ${MAX_APIM_RESOURCE_ID_LENGTH} characters is refused, naming its length and the limit`, () => {
    expect(parseResourceId({ kind: "ApiManagementService", resourceId: "/".repeat(MAX_APIM_RESOURCE_ID_LENGTH) })).toEqual({ subscriptionId: null, resourceGroupName: null, serviceName: null });
    const e = refusal({ kind: "ApiManagementService", resourceId: "/".repeat(100_000) });
    expect(e.code).toBe(BridgeErrorCodes.InvalidInput);
    expect(e.data).toEqual({ category: "InvalidArgument", errorId: "InvalidResourceId", target: "ResourceId" });
    expect(e.message).toBe(
      "-ResourceId is 100000 characters long: an API Management resource id (/subscriptions/…/resourceGroups/…/providers/Microsoft.ApiManagement/service/…) is at most 2048 characters.",
    );
  });
});

describe("strict templates", () => {
  test("a user's id (Get-AzApiManagementUser -ResourceId): its parts; the literal segments in any case", () => {
    expect(parseResourceId({ kind: "ApiManagementUser", resourceId: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ApiManagement/service/svc/users/1` })).toEqual({
      subscriptionId: SUB,
      resourceGroupName: "rg",
      serviceName: "svc",
      userId: "1",
    });
    expect(parseResourceId({ kind: "ApiManagementUser", resourceId: "/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.APIMANAGEMENT/SERVICE/SVC/USERS/U" })).toEqual({
      subscriptionId: "S",
      resourceGroupName: "RG",
      serviceName: "SVC",
      userId: "U",
    });
  });

  test.each([
    ["a service's id", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/svc"],
    ["a trailing '/'", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/svc/users/u/"],
    ["an empty part", "/subscriptions/s/resourceGroups//providers/Microsoft.ApiManagement/service/svc/users/u"],
    ["a segment more", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/svc/users/u/x"],
    ["no leading '/'", "subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/svc/users/u"],
    ["another provider", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagementX/service/svc/users/u"],
    ["'_' for the provider's '.'", "/subscriptions/s/resourceGroups/rg/providers/Microsoft_ApiManagement/service/svc/users/u"],
    ["nothing", ""],
  ])("not a user's id: %s (InvalidResourceId, the id quoted)", (_, id) => {
    const e = refusal({ kind: "ApiManagementUser", resourceId: id });
    expect(e.code).toBe(BridgeErrorCodes.InvalidInput);
    expect(e.data).toEqual({ category: "InvalidArgument", errorId: "InvalidResourceId", target: "ResourceId" });
    expect(e.message).toBe(`'${id}' is not the resource id of an API Management user (/subscriptions/…/resourceGroups/…/providers/Microsoft.ApiManagement/service/…/users/…).`);
  });

  test("the refused id is quoted as the module quotes input: control characters escaped, over 1024 characters cut to 1000 with its length", () => {
    expect(refusal({ kind: "ApiManagementUser", resourceId: "/x\u001b[2J" }).message).toMatch(/^'\/x\\u001b\[2J' is not the resource id/);
    const long = "/" + "\u0007".repeat(10) + "a".repeat(2000);
    const m = refusal({ kind: "ApiManagementUser", resourceId: long }).message;
    expect(m).toBe(`'/${"\\u0007".repeat(10)}${"a".repeat(989)}… (2011 characters)' is not the resource id of an API Management user (/subscriptions/…/resourceGroups/…/providers/Microsoft.ApiManagement/service/…/users/…).`);
    expect(refusal({ kind: "ApiManagementUser", resourceId: "b".repeat(1024) }).message).toContain(`'${"b".repeat(1024)}' is not`);
  });

  test("matchResourceId and resourceGroupOf, as the server's handlers use them", () => {
    expect(matchResourceId(RESOURCE_ID_TEMPLATES.ContainerRegistryScopeMap, `${REG}/scopeMaps/_repositories_pull`)).toEqual({
      subscriptionId: SUB,
      resourceGroupName: "lnxtest",
      registryName: "lnxcr",
      scopeMapName: "_repositories_pull",
    });
    expect(matchResourceId(RESOURCE_ID_TEMPLATES.ContainerRegistryScopeMap, `${REG}/tokens/t1`)).toBeUndefined();
    expect(matchResourceId(RESOURCE_ID_TEMPLATES.ContainerRegistryToken, `${REG}/tokens/t1`.toLowerCase())).toMatchObject({ tokenName: "t1" });
    expect(matchResourceId(RESOURCE_ID_TEMPLATES.ContainerRegistryToken, `${REG}/tokens/t1\n`)).toMatchObject({ tokenName: "t1\n" });
    expect(matchResourceId(RESOURCE_ID_TEMPLATES.ContainerRegistryToken, `${REG}/tokens/t1/`)).toBeUndefined();
    expect(matchResourceId(RESOURCE_ID_TEMPLATES.ContainerRegistryToken, "/".repeat(100_000))).toBeUndefined();

    expect(resourceGroupOf(`${REG}/tokens/t1`)).toBe("lnxtest");
    expect(resourceGroupOf("/SUBSCRIPTIONS/s/RESOURCEGROUPS/Rg/PROVIDERS/")).toBe("Rg");
    for (const id of [undefined, "", "/subscriptions/s/resourceGroups/rg/providers", "/subscriptions//resourceGroups/rg/providers/x", "x/subscriptions/s/resourceGroups/rg/providers/x", "/subscriptions/s/resourceGroups//providers/x"]) {
      expect([id, resourceGroupOf(id)]).toEqual([id, undefined]);
    }
  });
});

describe("a registry cmdlet's -InputObject (Az's IContainerRegistryIdentity)", () => {
  test("an Id: a token's, a scope map's", () => {
    expect(parseResourceId({ kind: "ContainerRegistryToken", resourceId: `${REG}/tokens/token1` })).toEqual({
      subscriptionId: SUB,
      resourceGroupName: "lnxtest",
      registryName: "lnxcr",
      tokenName: "token1",
    });
    expect(parseResourceId({ kind: "ContainerRegistryScopeMap", resourceId: `${REG}/scopeMaps/map1` })).toEqual({
      subscriptionId: SUB,
      resourceGroupName: "lnxtest",
      registryName: "lnxcr",
      scopeMapName: "map1",
    });
  });

  test("an Id that is not one: Az's 'Invalid identity for URI', the template named", () => {
    const token = refusal({ kind: "ContainerRegistryToken", resourceId: `${REG}/scopeMaps/map1` });
    expect(token.code).toBe(BridgeErrorCodes.InvalidInput);
    expect(token.data).toEqual({ category: "InvalidArgument", errorId: "InvalidIdentity", target: "InputObject" });
    expect(token.message).toBe(`Invalid identity for URI '${TOKEN_URI}'`);
    const map = refusal({ kind: "ContainerRegistryScopeMap", resourceId: "not an id" });
    expect(map.message).toBe(`Invalid identity for URI '${SCOPE_MAP_URI}'`);
    expect(map.data!.errorId).toBe("InvalidIdentity");
  });

  test("the Id wins over the parts, as in Az: a wrong Id is refused whatever the parts; a right one needs none", () => {
    const parts = { subscriptionId: SUB, resourceGroupName: "rg", registryName: "reg", tokenName: "t" };
    expect(refusal({ kind: "ContainerRegistryToken", resourceId: "/x", ...parts }).data!.errorId).toBe("InvalidIdentity");
    expect(parseResourceId({ kind: "ContainerRegistryToken", resourceId: `${REG}/tokens/fromid`, ...parts })).toMatchObject({ resourceGroupName: "lnxtest", tokenName: "fromid" });
  });

  test("without an Id (or an empty one): the parts, each required, Az's 'InputObject has null value' naming the first missing", () => {
    const parts = { subscriptionId: SUB, resourceGroupName: "rg", registryName: "reg" };
    expect(parseResourceId({ kind: "ContainerRegistryToken", resourceId: "", ...parts, tokenName: "t" })).toEqual({ ...parts, tokenName: "t" });
    expect(parseResourceId({ kind: "ContainerRegistryScopeMap", ...parts, scopeMapName: "m", tokenName: "ignored" })).toEqual({ ...parts, scopeMapName: "m" });
    const cases: [ArmParseResourceIdParams, string][] = [
      [{ kind: "ContainerRegistryToken", ...parts }, "TokenName"],
      [{ kind: "ContainerRegistryToken", ...parts, tokenName: "" }, "TokenName"],
      [{ kind: "ContainerRegistryScopeMap", ...parts, tokenName: "t" }, "ScopeMapName"],
      [{ kind: "ContainerRegistryToken", resourceGroupName: "rg" }, "SubscriptionId"],
      [{ kind: "ContainerRegistryToken", subscriptionId: SUB, tokenName: "t" }, "ResourceGroupName"],
      [{ kind: "ContainerRegistryScopeMap", subscriptionId: SUB, resourceGroupName: "rg", scopeMapName: "m" }, "RegistryName"],
    ];
    for (const [p, member] of cases) {
      const e = refusal(p);
      expect(e.code).toBe(BridgeErrorCodes.InvalidInput);
      expect(e.data).toEqual({ category: "InvalidArgument", errorId: "InputObjectNullValue", target: "InputObject" });
      expect(e.message).toBe(`InputObject has null value for InputObject.${member}`);
    }
  });
});

test("an unknown kind is refused, naming the kinds", () => {
  const e = refusal({ kind: "Nope" as ArmParseResourceIdParams["kind"], resourceId: "/x" });
  expect(e.data!.errorId).toBe("InvalidResourceIdKind");
  expect(e.message).toMatch(/Use: ApiManagementService, ApiManagementUser, ContainerRegistryToken, ContainerRegistryScopeMap\.$/);
});
