/**
 * The acr/* methods of the packaged server against the emulator, spoken to as the module does:
 * the PUT's first answer (beginCreateToken), one poll at a time (pollOperation), the final GET,
 * generateCredentials, and the error data the module builds ErrorRecords from.
 */
import * as fs from "node:fs";
import { ResponseError } from "vscode-jsonrpc/node";
import {
  AcrBeginCreateToken,
  AcrGenerateCredentials,
  AcrGetScopeMaps,
  AcrGetTokens,
  AcrPollOperation,
  BridgeErrorCodes,
  CallContext,
  ErrorData,
} from "../../src/protocol";
import { EmulatorProcess, startEmulatorProcess } from "../support/emulator";
import { SERVER_BINARY } from "../support/paths";
import { ServerProcess, spawnServer } from "../support/server";

const RG = "lnxtest";
const REG = "lnxcr";
let emulator: EmulatorProcess;
let server: ServerProcess;
let context: CallContext;
let mapId: string;
let n = 0;
const name = () => `ptok${Date.now().toString(36)}${++n}`;

async function rpcError(p: Promise<unknown>): Promise<ResponseError<ErrorData>> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ResponseError);
    return e as ResponseError<ErrorData>;
  }
  throw new Error("expected the call to fail");
}

beforeAll(async () => {
  if (!fs.existsSync(SERVER_BINARY)) throw new Error(`${SERVER_BINARY} is missing: run npm run build first`);
  emulator = await startEmulatorProcess();
  server = spawnServer({});
  context = { env: emulator.env };
  mapId = `/subscriptions/${emulator.info.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.ContainerRegistry/registries/${REG}/scopeMaps/newmap`;
});
afterAll(async () => {
  await server?.dispose();
  await emulator?.stop();
});
beforeEach(async () => {
  await emulator.control("PUT", "/acr/operations", { reset: true, durationMs: 300, retryAfterSeconds: 2 });
});

test("beginCreateToken returns the PUT's first answer; pollOperation polls once per call; the final GET gives the token", async () => {
  const tokenName = name();
  const first = await server.connection.sendRequest(AcrBeginCreateToken, { context, resourceGroupName: RG, registryName: REG, tokenName, token: { scopeMapId: mapId } });
  expect(first.statusCode).toBe(201);
  expect(first.retryAfterSeconds).toBe(2);
  expect(first.azureAsyncOperation).toMatch(new RegExp(`/tokens/${tokenName}/operationStatuses/token-[0-9a-f-]{36}\\?api-version=2023-01-01-preview&t=\\d+&c=`));
  expect(first.requestUrl).toBe(`${emulator.info.armEndpoint}/subscriptions/${emulator.info.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.ContainerRegistry/registries/${REG}/tokens/${tokenName}?api-version=2023-01-01-preview`);
  expect(first.token).toMatchObject({ name: tokenName, provisioningState: "Creating", scopeMapId: mapId, status: "enabled", passwords: [] });
  expect(first.requestId).toMatch(/^[0-9a-f-]{36}$/);
  const log = await emulator.requestLog();
  expect(log.filter((e) => e.path.includes(`/tokens/${tokenName}`)).map((e) => e.method)).toEqual(["PUT"]); // no polling by the server

  const poll1 = await server.connection.sendRequest(AcrPollOperation, { context, url: first.azureAsyncOperation! });
  expect(poll1).toMatchObject({ statusCode: 200, status: "InProgress", done: false, retryAfterSeconds: 2 });
  await new Promise((r) => setTimeout(r, 400));
  const poll2 = await server.connection.sendRequest(AcrPollOperation, { context, url: poll1.azureAsyncOperation ?? first.azureAsyncOperation! });
  expect(poll2).toMatchObject({ status: "Succeeded", done: true });
  const got = await server.connection.sendRequest(AcrGetTokens, { context, resourceGroupName: RG, registryName: REG, tokenName });
  expect(got.tokens[0]).toMatchObject({ name: tokenName, provisioningState: "Succeeded" });
  expect(got.tokens[0].systemData?.createdAt).toMatch(/Z$/);
});

test("a failed operation is a ServiceError with the operation's code, message and the poll's request id", async () => {
  await emulator.control("PUT", "/acr/operations", { failNext: 1, durationMs: 0, failCode: "TokenQuotaExceeded", failMessage: "No more tokens." });
  const first = await server.connection.sendRequest(AcrBeginCreateToken, { context, resourceGroupName: RG, registryName: REG, tokenName: name(), token: { scopeMapId: mapId } });
  const e = await rpcError(server.connection.sendRequest(AcrPollOperation, { context, url: first.azureAsyncOperation! }));
  expect(e.code).toBe(BridgeErrorCodes.ServiceError);
  expect(e.data).toMatchObject({ errorId: "TokenQuotaExceeded", serviceCode: "TokenQuotaExceeded", serviceMessage: "No more tokens.", category: "InvalidOperation" });
  expect(e.data!.requestId).toMatch(/^[0-9a-f-]{36}$/);
});

test("service errors of the PUT carry code, message, status and request id", async () => {
  const e = await rpcError(
    server.connection.sendRequest(AcrBeginCreateToken, { context, resourceGroupName: RG, registryName: REG, tokenName: name(), token: { scopeMapId: mapId.replace("newmap", "nomap") } }),
  );
  expect(e.code).toBe(BridgeErrorCodes.ServiceError);
  expect(e.data).toMatchObject({ errorId: "ResourceNotFound", statusCode: 404, category: "ObjectNotFound", serviceMessage: "The resource nomap could not be found." });
  expect(e.data!.requestId).toMatch(/^[0-9a-f-]{36}$/);
});

test("names, status and URLs are checked before any call", async () => {
  await emulator.control("DELETE", "/requests");
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ tokenName: "abc" }, "InvalidTokenName"],
    [{ tokenName: "has_underscore" }, "InvalidTokenName"],
    [{ registryName: "lnx-cr" }, "InvalidRegistryName"],
    [{ subscriptionId: "not-a-guid" }, "InvalidSubscriptionId"],
    [{ token: { scopeMapId: mapId, status: "paused" } }, "InvalidStatus"],
    [{ token: { scopeMapId: "newmap" } }, "InvalidScopeMapId"],
    [{ token: { passwords: [{ name: "password3" }] } }, "InvalidPasswordName"],
  ];
  for (const [over, id] of cases) {
    const e = await rpcError(server.connection.sendRequest(AcrBeginCreateToken, { context, resourceGroupName: RG, registryName: REG, tokenName: name(), token: { scopeMapId: mapId }, ...over } as never));
    expect(e.code).toBe(BridgeErrorCodes.InvalidInput);
    expect(e.data).toMatchObject({ errorId: id, category: "InvalidArgument" });
  }
  const off = await rpcError(server.connection.sendRequest(AcrPollOperation, { context, url: "https://example.com/subscriptions/x/op" }));
  expect(off.data!.errorId).toBe("InvalidOperationUrl");
  expect(await emulator.requestLog()).toEqual([]);
});

test("scope maps and tokens are listed; generateCredentials returns the values once", async () => {
  const maps = await server.connection.sendRequest(AcrGetScopeMaps, { context, resourceGroupName: RG, registryName: REG });
  expect(maps.scopeMaps.map((m) => m.name).sort()).toEqual(["_repositories_admin", "_repositories_pull", "_repositories_push", "newmap"]);
  const tokenName = name();
  await emulator.control("PUT", "/acr/operations", { durationMs: 0 });
  await server.connection.sendRequest(AcrBeginCreateToken, { context, resourceGroupName: RG, registryName: REG, tokenName, token: { scopeMapId: mapId } });
  const list = await server.connection.sendRequest(AcrGetTokens, { context, resourceGroupName: RG, registryName: REG });
  const mine = list.tokens.find((t) => t.name === tokenName)!;
  const creds = await server.connection.sendRequest(AcrGenerateCredentials, { context, resourceGroupName: RG, registryName: REG, tokenId: mine.id });
  expect(creds.username).toBe(tokenName);
  expect(creds.passwords.map((p) => p.name)).toEqual(["password1", "password2"]);
  for (const p of creds.passwords) expect(p.value).toMatch(/^[A-Za-z0-9+/=]{32}$/);
  await emulator.control("PUT", "/acr/operations", { credentialsLro: true, durationMs: 300, retryAfterSeconds: 0 });
  const viaLro = await server.connection.sendRequest(AcrGenerateCredentials, { context, resourceGroupName: RG, registryName: REG, tokenId: mine.id, passwordName: "password2" });
  expect(viaLro.passwords).toHaveLength(1);
  expect(viaLro.passwords[0].value).toMatch(/^[A-Za-z0-9+/=]{32}$/);
});
