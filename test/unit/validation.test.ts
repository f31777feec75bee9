/**
 * Input that API Management would reject is refused before any network call, with the
 * PowerShell parameter at fault as the target.
 */
import { checkServiceRef, checkUserId, MAX_TOKEN_LIFETIME_MS, parseExpiry, parseKeyType } from "../../src/apim/validation";
import { BridgeError } from "../../src/rpc/errors";
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
