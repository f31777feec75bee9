/**
 * Failures reach the module as ResponseErrors with a stable code and an ErrorData carrying the
 * service's own code, message and request id.
 */
import { RestError, createHttpHeaders, createPipelineRequest } from "@azure/core-rest-pipeline";
import { ResponseError } from "vscode-jsonrpc";
import { BridgeErrorCodes } from "../../src/protocol";
import { categoryForStatus, invalidInput, toResponseError } from "../../src/rpc/errors";

function restError(status: number, body: unknown, requestId = "a1b2c3"): RestError {
  const request = createPipelineRequest({ url: "https://management.azure.com/x" });
  return new RestError("Service said no", {
    code: "FallbackCode",
    statusCode: status,
    request,
    response: {
      status,
      request,
      headers: createHttpHeaders({ "x-ms-request-id": requestId }),
      bodyAsText: JSON.stringify(body),
    },
  });
}

describe("error mapping", () => {
  test("a service error keeps code, message, details and request id", () => {
    const e = toResponseError(
      restError(400, {
        error: {
          code: "ValidationError",
          message: "One or more fields contain incorrect values:",
          details: [{ code: "ValidationError", target: "expiry", message: "Expiry must be in the future" }],
        },
      }),
    );
    expect(e).toBeInstanceOf(ResponseError);
    expect(e.code).toBe(BridgeErrorCodes.ServiceError);
    expect(e.message).toBe("One or more fields contain incorrect values:");
    expect(e.data).toEqual({
      category: "InvalidArgument",
      errorId: "ValidationError",
      statusCode: 400,
      serviceCode: "ValidationError",
      serviceMessage: "One or more fields contain incorrect values:",
      requestId: "a1b2c3",
      details: [{ code: "ValidationError", target: "expiry", message: "Expiry must be in the future" }],
    });
  });

  test("a body that is not an ARM envelope falls back to the RestError", () => {
    const e = toResponseError(restError(503, "<html>busy</html>"));
    expect(e.data).toMatchObject({ category: "ResourceUnavailable", serviceCode: "FallbackCode", serviceMessage: "Service said no", statusCode: 503 });
  });

  test.each([
    [400, "InvalidArgument"],
    [401, "AuthenticationError"],
    [403, "PermissionDenied"],
    [404, "ObjectNotFound"],
    [409, "ResourceExists"],
    [429, "LimitsExceeded"],
    [500, "ResourceUnavailable"],
    [302, "NotSpecified"],
  ])("HTTP %i maps to %s", (status, category) => {
    expect(categoryForStatus(status)).toBe(category);
  });

  test("identity errors are authentication failures", () => {
    const err = Object.assign(new Error("ClientSecretCredential authentication failed: AADSTS7000215"), { name: "AuthenticationError" });
    const e = toResponseError(err);
    expect(e.code).toBe(BridgeErrorCodes.AuthenticationFailed);
    expect(e.data).toMatchObject({ category: "AuthenticationError", errorId: "AADSTS7000215", serviceCode: "AADSTS7000215" });
    const required = toResponseError(Object.assign(new Error("invalid_client: Error(s): 7000215"), { name: "AuthenticationRequiredError" }));
    expect(required.code).toBe(BridgeErrorCodes.AuthenticationFailed);
    expect(required.data).toMatchObject({ errorId: "AuthenticationRequiredError" });
  });

  test("aborts are cancellations; connection failures are network errors; the rest internal", () => {
    expect(toResponseError(Object.assign(new Error("aborted"), { name: "AbortError" })).code).toBe(BridgeErrorCodes.RequestCancelled);
    const refused = toResponseError(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }));
    expect(refused.code).toBe(BridgeErrorCodes.NetworkError);
    expect(refused.data).toMatchObject({ category: "ConnectionError", errorId: "ECONNREFUSED" });
    expect(toResponseError(new TypeError("x is undefined")).code).toBe(BridgeErrorCodes.Internal);
  });

  test("BridgeErrors pass through with their data", () => {
    const e = toResponseError(invalidInput("InvalidKeyType", "KeyType", "bad"));
    expect(e.code).toBe(BridgeErrorCodes.InvalidInput);
    expect(e.data).toEqual({ category: "InvalidArgument", errorId: "InvalidKeyType", target: "KeyType" });
  });
});
