/**
 * The acr/* methods of the packaged server against the emulator, spoken to as the module does:
 * acr/createToken runs the token PUT's long-running operation to its end in the server, with
 * progress and trace notifications about the request (noWait: the PUT alone), $/cancelRequest ends
 * its polling, generateCredentials, and the error data the module builds ErrorRecords from.
 */
import { CancellationTokenSource, ResponseError } from "vscode-jsonrpc/node";
import {
  AcrCreateToken,
  AcrGenerateCredentials,
  AcrGetScopeMaps,
  AcrGetTokens,
  BridgeErrorCodes,
  CallContext,
  DebugNotification,
  ErrorData,
  NOTIFICATION_METHODS,
  ProgressNotification,
  VerboseNotification,
} from "../../src/protocol";
import { EmulatorProcess, useEmulator } from "../support/emulator";
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

useEmulator((e) => (emulator = e));
beforeAll(async () => {
  server = spawnServer({});
  context = { env: emulator.env };
  mapId = `/subscriptions/${emulator.info.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.ContainerRegistry/registries/${REG}/scopeMaps/newmap`;
});
afterAll(async () => {
  await server?.dispose();
});
beforeEach(async () => {
  await emulator.control("PUT", "/acr/operations", { reset: true, durationMs: 300, retryAfterSeconds: 2 });
});

/** Every notification the server sends from now on, with when it came relative to the answers. */
function recordNotifications(): { seen: Array<{ method: string; params: any }>; stop: () => void } { // eslint-disable-line @typescript-eslint/no-explicit-any
  const seen: Array<{ method: string; params: any }> = []; // eslint-disable-line @typescript-eslint/no-explicit-any
  const subs = Object.values(NOTIFICATION_METHODS).map((method) => server.connection.onNotification(method, (params: unknown) => void seen.push({ method, params })));
  return { seen, stop: () => subs.forEach((d) => d.dispose()) };
}

const polls = async (tokenName: string) => (await emulator.requestLog()).filter((e) => e.method === "GET" && e.path.includes(`/tokens/${tokenName}/operationStatuses/`));

test("createToken runs the operation to its end in the server: PUT, polls after Retry-After, the final GET; progress and trace notifications name the request", async () => {
  // Counted polls: one answered InProgress, the next finishes it, whatever the machine's speed.
  await emulator.control("PUT", "/acr/operations", { pendingPolls: 1, retryAfterSeconds: 1 });
  const tokenName = name();
  const notes = recordNotifications();
  let answeredWith = -1;
  const result = await server.connection
    .sendRequest(AcrCreateToken, { context, resourceGroupName: RG, registryName: REG, tokenName, token: { scopeMapId: mapId } })
    .finally(() => (answeredWith = notes.seen.length));
  notes.stop();
  expect(result.target).toBeUndefined();
  expect(result.token).toMatchObject({ name: tokenName, provisioningState: "Succeeded", scopeMapId: mapId, status: "enabled" });
  expect(result.token!.systemData?.createdAt).toMatch(/Z$/);
  const log = (await emulator.requestLog()).filter((e) => e.path.includes(`/tokens/${tokenName}`));
  expect(log.map((e) => [e.method, e.operationStatus ?? e.status])).toEqual([["PUT", 201], ["GET", "InProgress"], ["GET", "Succeeded"], ["GET", 200]]);

  // Every notification came before the answer, about this one request.
  expect(answeredWith).toBe(notes.seen.length);
  const ids = new Set(notes.seen.map((n) => n.params.requestId));
  expect(ids.size).toBe(1);
  expect(typeof [...ids][0]).toBe("number");
  const progress = notes.seen.filter((n) => n.method === ProgressNotification.method).map((n) => n.params);
  expect(progress.length).toBeGreaterThanOrEqual(1);
  for (const p of progress) {
    expect(p).toMatchObject({ activity: "In progress", status: "Checking operation status", currentOperation: `Creating token '${tokenName}'` });
    expect(p.percent).toBeGreaterThanOrEqual(0);
    expect(p.percent).toBeLessThan(100);
  }
  expect(notes.seen.filter((n) => n.method === DebugNotification.method).map((n) => n.params.message)).toEqual([
    "Delaying 1 seconds before polling.",
    "Delaying 1 seconds before polling.",
  ]);
  expect(notes.seen.filter((n) => n.method === VerboseNotification.method).map((n) => n.params.message)).toEqual([
    `AzTokenBridge: PUT token '${tokenName}': HTTP 201.`,
    "AzTokenBridge: operation status InProgress.",
    "AzTokenBridge: operation status Succeeded.",
  ]);
});

test("noWait: the answer comes after the PUT alone, with the operation's URL; the operation is still pending and nothing polls it", async () => {
  await emulator.control("PUT", "/acr/operations", { pendingPolls: 3, retryAfterSeconds: 1 });
  const tokenName = name();
  const r = await server.connection.sendRequest(AcrCreateToken, { context, resourceGroupName: RG, registryName: REG, tokenName, token: { scopeMapId: mapId }, noWait: true });
  expect(r.token).toBeUndefined();
  expect(r.target).toMatch(new RegExp(`/tokens/${tokenName}/operationStatuses/token-[0-9a-f-]{36}\\?api-version=2023-01-01-preview&t=\\d+&c=`));
  // Counted polls: the operation is pending until it is polled, so the token is still being created.
  const got = await server.connection.sendRequest(AcrGetTokens, { context, resourceGroupName: RG, registryName: REG, tokenName });
  expect(got.tokens[0].provisioningState).toBe("Creating");
  expect(await polls(tokenName)).toEqual([]);
});

test("$/cancelRequest while the server waits to poll: RequestCancelled, and the operation is polled no more", async () => {
  await emulator.control("PUT", "/acr/operations", { neverFinish: true, retryAfterSeconds: 1 });
  const tokenName = name();
  const cts = new CancellationTokenSource();
  let firstPoll!: () => void;
  const polled = new Promise<void>((resolve) => (firstPoll = resolve));
  // Cancelled once the second wait has started: after the first poll's trace line.
  const sub = server.connection.onNotification(VerboseNotification, (p) => {
    if (p.message.startsWith("AzTokenBridge: operation status")) firstPoll();
  });
  const call = server.connection.sendRequest(AcrCreateToken, { context, resourceGroupName: RG, registryName: REG, tokenName, token: { scopeMapId: mapId } }, cts.token).catch((e) => e);
  await polled;
  sub.dispose();
  cts.cancel();
  const e = (await call) as ResponseError<ErrorData>;
  expect(e).toBeInstanceOf(ResponseError);
  expect(e.code).toBe(BridgeErrorCodes.RequestCancelled);
  const seen = (await polls(tokenName)).length;
  expect(seen).toBeGreaterThanOrEqual(1);
  // Three of its Retry-After intervals later the emulator has seen no further poll.
  await new Promise((r) => setTimeout(r, 3000));
  expect((await polls(tokenName)).length).toBe(seen);
});

test("a failed operation is a ServiceError with the operation's code, message and the poll's request id", async () => {
  await emulator.control("PUT", "/acr/operations", { failNext: 1, durationMs: 0, failCode: "TokenQuotaExceeded", failMessage: "No more tokens." });
  const e = await rpcError(server.connection.sendRequest(AcrCreateToken, { context, resourceGroupName: RG, registryName: REG, tokenName: name(), token: { scopeMapId: mapId } }));
  expect(e.code).toBe(BridgeErrorCodes.ServiceError);
  expect(e.data).toMatchObject({ errorId: "TokenQuotaExceeded", serviceCode: "TokenQuotaExceeded", serviceMessage: "No more tokens.", category: "InvalidOperation" });
  expect(e.data!.requestId).toMatch(/^[0-9a-f-]{36}$/);
});

test("service errors of the PUT carry code, message, status and request id", async () => {
  const e = await rpcError(
    server.connection.sendRequest(AcrCreateToken, { context, resourceGroupName: RG, registryName: REG, tokenName: name(), token: { scopeMapId: mapId.replace("newmap", "nomap") } }),
  );
  expect(e.code).toBe(BridgeErrorCodes.ServiceError);
  expect(e.data).toMatchObject({ errorId: "ResourceNotFound", statusCode: 404, category: "ObjectNotFound", serviceMessage: "The resource nomap could not be found." });
  expect(e.data!.requestId).toMatch(/^[0-9a-f-]{36}$/);
});

test("names and status are checked before any call", async () => {
  await emulator.control("DELETE", "/requests");
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ tokenName: "abc" }, "InvalidTokenName"],
    [{ tokenName: "has_underscore" }, "InvalidTokenName"],
    [{ registryName: "lnx-cr" }, "InvalidRegistryName"],
    [{ subscriptionId: "not-a-guid" }, "InvalidSubscriptionId"],
    [{ token: { scopeMapId: mapId, status: "paused" } }, "InvalidStatus"],
    [{ token: { scopeMapId: "newmap" } }, "InvalidScopeMapId"],
    [{ token: { passwords: [{ name: "password3" }] } }, "InvalidPasswordName"],
    [{ generatePasswords: [{ passwordName: "password3" }] }, "InvalidPasswordName"],
    [{ generatePasswords: [{ expiry: "not a date" }] }, "InvalidExpiry"],
  ];
  for (const [over, id] of cases) {
    const e = await rpcError(server.connection.sendRequest(AcrCreateToken, { context, resourceGroupName: RG, registryName: REG, tokenName: name(), token: { scopeMapId: mapId }, ...over } as never));
    expect(e.code).toBe(BridgeErrorCodes.InvalidInput);
    expect(e.data).toMatchObject({ errorId: id, category: "InvalidArgument" });
  }
  expect(await emulator.requestLog()).toEqual([]);
});

test("scope maps and tokens are listed; generateCredentials returns the values once", async () => {
  const maps = await server.connection.sendRequest(AcrGetScopeMaps, { context, resourceGroupName: RG, registryName: REG });
  expect(maps.scopeMaps.map((m) => m.name).sort()).toEqual(["_repositories_admin", "_repositories_pull", "_repositories_push", "newmap"]);
  const tokenName = name();
  await emulator.control("PUT", "/acr/operations", { durationMs: 0 });
  await server.connection.sendRequest(AcrCreateToken, { context, resourceGroupName: RG, registryName: REG, tokenName, token: { scopeMapId: mapId } });
  const list = await server.connection.sendRequest(AcrGetTokens, { context, resourceGroupName: RG, registryName: REG });
  const mine = list.tokens.find((t) => t.name === tokenName)!;
  // The resource group of each, read from its id by the server (src/azure/resourceId.ts).
  expect(new Set([...maps.scopeMaps, ...list.tokens].map((x) => x.resourceGroupName))).toEqual(new Set([RG]));
  const creds = await server.connection.sendRequest(AcrGenerateCredentials, { context, resourceGroupName: RG, registryName: REG, tokenId: mine.id });
  expect(creds.username).toBe(tokenName);
  expect(creds.passwords.map((p) => p.name)).toEqual(["password1", "password2"]);
  for (const p of creds.passwords) expect(p.value).toMatch(/^[A-Za-z0-9+/=]{32}$/);
  await emulator.control("PUT", "/acr/operations", { credentialsLro: true, durationMs: 300, retryAfterSeconds: 0 });
  const viaLro = await server.connection.sendRequest(AcrGenerateCredentials, { context, resourceGroupName: RG, registryName: REG, tokenId: mine.id, passwordName: "password2" });
  expect(viaLro.passwords).toHaveLength(1);
  expect(viaLro.passwords[0].value).toMatch(/^[A-Za-z0-9+/=]{32}$/);
});

test("createToken with generatePasswords: the token with the generated passwords' values in place of their metadata", async () => {
  await emulator.control("PUT", "/acr/operations", { durationMs: 0, retryAfterSeconds: 0 });
  const tokenName = name();
  const r = await server.connection.sendRequest(AcrCreateToken, {
    context, resourceGroupName: RG, registryName: REG, tokenName, token: { scopeMapId: mapId }, generatePasswords: [{ passwordName: "password2" }],
  });
  expect(r.token!.passwords.map((p) => p.name)).toEqual(["password2"]);
  expect(r.token!.passwords[0].value).toMatch(/^[A-Za-z0-9+/=]{32}$/);
});
