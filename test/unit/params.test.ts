/**
 * The params shapes (src/rpc/params.ts on src/rpc/shape.ts): what a handler gets, and the
 * InvalidParams errors. (Every method and field against the packaged server: test/protocol/malformed.test.ts.)
 */
import { ResponseError } from "vscode-jsonrpc";
import { AllMethods } from "../../src/protocol";
import { INVALID_PARAMS, PARAMS, parseParams } from "../../src/rpc/params";

function refusal(method: string, params: unknown): ResponseError<{ target?: string; errorId: string }> {
  try {
    parseParams(method, params);
  } catch (e) {
    expect(e).toBeInstanceOf(ResponseError);
    return e as ResponseError<{ target?: string; errorId: string }>;
  }
  throw new Error("expected a refusal");
}

const context = { env: { AZURE_SUBSCRIPTION_ID: "s" } };

test("every declared method has a shape", () => {
  expect(Object.keys(PARAMS).sort()).toEqual([...AllMethods].sort());
});

test("the handler gets a copy with only the declared fields; an optional null is absent", () => {
  const given = {
    context: { ...context, extra: { deep: true } },
    resourceGroupName: "rg",
    serviceName: "svc",
    subscriptionId: null,
    userId: "u",
    keyType: "Primary",
    expiry: "2030-01-01T00:00:00Z",
    unknown: "dropped",
  };
  const got = parseParams("apim/newUserToken", given) as Record<string, unknown>;
  expect(got).toEqual({ context, resourceGroupName: "rg", serviceName: "svc", userId: "u", keyType: "Primary", expiry: "2030-01-01T00:00:00Z" });
  expect(got.context).not.toBe(given.context);
});

test("values are left to the services' validation: only types are checked", () => {
  // An unknown key type is a string: the service's validation refuses it with the PowerShell parameter name.
  expect(parseParams("apim/newUserToken", { context, resourceGroupName: "", serviceName: "", userId: "", keyType: "Tertiary", expiry: "soon" })).toMatchObject({ keyType: "Tertiary" });
});

test.each([
  ["apim/newUserToken", { context, resourceGroupName: 5 }, "resourceGroupName", "resourceGroupName must be a string, got a number"],
  ["apim/getUsers", { context: { env: [] }, resourceGroupName: "r", serviceName: "s" }, "context.env", "context.env must be an object whose values are strings, got an array"],
  ["acr/createToken", { context, resourceGroupName: "r", registryName: "g", tokenName: "t", token: { passwords: [{ name: {} }] } }, "token.passwords[0].name", "token.passwords[0].name must be a string, got an object"],
  ["acr/createToken", { context, resourceGroupName: "r", registryName: "g", tokenName: "t", token: {}, noWait: "yes" }, "noWait", "noWait must be a boolean (true or false), got a string"],
  ["acr/createToken", { context, resourceGroupName: "r", registryName: "g", tokenName: "t", token: {}, generatePasswords: [{ expiry: 5 }] }, "generatePasswords[0].expiry", "generatePasswords[0].expiry must be a string, got a number"],
  ["partner/newAccessToken", { context, parameterSet: "User", scopes: "https://x/.default" }, "scopes", "scopes must be an array of strings, got a string"],
  ["partner/newAccessToken", { context, parameterSet: "User", useDeviceAuthentication: "yes" }, "useDeviceAuthentication", "useDeviceAuthentication must be a boolean (true or false), got a string"],
  ["bridge/hello", null, undefined, "params must be an object (by name), got null"],
])("%s %j", (method, params, target, message) => {
  const e = refusal(method, params);
  expect(e.code).toBe(INVALID_PARAMS);
  expect(e.message).toBe(`Invalid params for ${method}: ${message}.`);
  expect(e.data).toEqual({ category: "InvalidArgument", errorId: "InvalidParams", target });
});
