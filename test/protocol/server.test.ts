/**
 * The packaged server, spoken to the way the module speaks to it: JSON-RPC over its stdio, with
 * vscode-jsonrpc's own client on this side. Needs `npm run build` (the test command runs it).
 */
import { spawn, spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import { ResponseError } from "vscode-jsonrpc/node";
import { AllMethods, ApimNewUserToken, ApimNewUserTokenParams, ArmParseResourceId, BridgeErrorCodes, ErrorData, Hello, PROTOCOL_VERSION } from "../../src/protocol";
import { EmulatorProcess, startEmulatorProcess } from "../support/emulator";
import { ROOT, SERVER_BINARY } from "../support/paths";
import { ServerProcess, spawnServer } from "../support/server";

const pkg = JSON.parse(fs.readFileSync(`${ROOT}/package.json`, "utf8"));

beforeAll(() => {
  if (!fs.existsSync(SERVER_BINARY)) throw new Error(`${SERVER_BINARY} is missing: run npm run build first`);
});

async function rpcError(p: Promise<unknown>): Promise<ResponseError<ErrorData>> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ResponseError);
    return e as ResponseError<ErrorData>;
  }
  throw new Error("expected the call to fail");
}

function inHours(h: number): string {
  return new Date(Date.now() + h * 3600_000).toISOString();
}

describe("server process", () => {
  test("--version prints the package version and nothing else", () => {
    const r = spawnSync(SERVER_BINARY, ["--version"], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${pkg.version}\n`);
  });

  test("an unknown command exits 2 with usage on stderr", () => {
    const r = spawnSync(SERVER_BINARY, ["frobnicate"], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/Usage/);
  });

  test("stdout carries only Content-Length frames, and the server exits on stdin EOF", async () => {
    const child = spawn(SERVER_BINARY, [], { stdio: ["pipe", "pipe", "pipe"] });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => chunks.push(d));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const send = (msg: unknown) => {
      const body = Buffer.from(JSON.stringify(msg), "utf8");
      child.stdin.write(Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, "ascii"), body]));
    };
    send({ jsonrpc: "2.0", id: 1, method: "bridge/hello", params: {} });
    send({ jsonrpc: "2.0", id: 2, method: "no/such", params: {} });
    // A request whose params are invalid makes the server log on stderr, never stdout.
    send({
      jsonrpc: "2.0",
      id: 3,
      method: "apim/newUserToken",
      params: { context: { env: {} }, resourceGroupName: "", serviceName: "x", userId: "u", keyType: "Primary", expiry: inHours(1) },
    });
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error("no answers")), 20000);
      const check = () => {
        if ((Buffer.concat(chunks).toString("utf8").match(/Content-Length/g) ?? []).length >= 3) {
          clearTimeout(t);
          resolve();
        } else setTimeout(check, 20);
      };
      check();
    });
    child.stdin.end();
    expect(await exited).toBe(0);

    // Parse stdout strictly: header, blank line, exactly Content-Length bytes of JSON, repeat.
    let out = Buffer.concat(chunks);
    const messages: { id: number; result?: unknown; error?: { code: number } }[] = [];
    while (out.length > 0) {
      const headerEnd = out.indexOf("\r\n\r\n");
      expect(headerEnd).toBeGreaterThan(0);
      const header = out.subarray(0, headerEnd).toString("ascii");
      const m = /^Content-Length: (\d+)$/m.exec(header);
      expect(m).not.toBeNull();
      const length = Number(m![1]);
      const body = out.subarray(headerEnd + 4, headerEnd + 4 + length);
      expect(body.length).toBe(length);
      messages.push(JSON.parse(body.toString("utf8")));
      out = out.subarray(headerEnd + 4 + length);
    }
    expect(messages.map((x) => x.id).sort()).toEqual([1, 2, 3]);
    expect(messages.find((x) => x.id === 1)!.result).toMatchObject({ name: "aztokenbridge" });
    expect(messages.find((x) => x.id === 2)!.error!.code).toBe(-32601);
    expect(messages.find((x) => x.id === 3)!.error!.code).toBe(BridgeErrorCodes.InvalidInput);
  });
});

describe("methods", () => {
  let server: ServerProcess;
  beforeAll(() => {
    server = spawnServer();
  });
  afterAll(async () => server.dispose());

  test("bridge/hello reports name, version, protocol", async () => {
    const r = await server.connection.sendRequest(Hello, {});
    expect(r).toMatchObject({ name: "aztokenbridge", version: pkg.version, protocolVersion: PROTOCOL_VERSION, node: `v${pkg.config.node}` });
    expect(r.pid).toBe(server.child.pid);
  });

  test("an unknown method is MethodNotFound", async () => {
    const e = await rpcError(server.connection.sendRequest("apim/noSuchThing", {}));
    expect(e.code).toBe(-32601);
  });

  test("every declared method is served", async () => {
    for (const method of AllMethods) {
      // Empty params: each answers (an error about input is fine), none is MethodNotFound.
      const outcome = await server.connection.sendRequest(method, {}).then(
        () => 0,
        (e: ResponseError<unknown>) => e.code,
      );
      expect([method, outcome]).not.toEqual([method, -32601]);
    }
  });

  test("bad input is refused with InvalidInput, naming the parameter", async () => {
    const e = await rpcError(
      server.connection.sendRequest(ApimNewUserToken, {
        context: { env: {} },
        resourceGroupName: "powershelltest",
        serviceName: "powershellsdkservice",
        userId: "integration",
        keyType: "Tertiary" as "Primary",
        expiry: inHours(1),
      }),
    );
    expect(e.code).toBe(BridgeErrorCodes.InvalidInput);
    expect(e.data).toMatchObject({ category: "InvalidArgument", errorId: "InvalidKeyType", target: "KeyType" });
  });

  test("arm/parseResourceId answers without sign-in and without network: no context, no identity, an ARM endpoint nothing listens on", async () => {
    const env = { AZURE_SUBSCRIPTION_ID: "", AZTOKENBRIDGE_ARM_ENDPOINT: "https://127.0.0.1:9", AZURE_AUTHORITY_HOST: "https://127.0.0.1:9" };
    const started = Date.now();
    expect(
      await server.connection.sendRequest(ArmParseResourceId, {
        kind: "ApiManagementUser",
        resourceId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/svc/users/u1",
      }),
    ).toEqual({ subscriptionId: "s", resourceGroupName: "rg", serviceName: "svc", userId: "u1" });
    expect(await server.connection.sendRequest(ArmParseResourceId, { context: { env }, kind: "ApiManagementService", resourceId: "not an id" })).toEqual({
      subscriptionId: null,
      resourceGroupName: null,
      serviceName: null,
    });
    const bad = await rpcError(server.connection.sendRequest(ArmParseResourceId, { context: { env }, kind: "ApiManagementUser", resourceId: "/x\u001b" }));
    expect(bad.code).toBe(BridgeErrorCodes.InvalidInput);
    expect(bad.message).toMatch(/^'\/x\\u001b' is not the resource id of an API Management user/);
    expect(bad.data).toEqual({ category: "InvalidArgument", errorId: "InvalidResourceId", target: "ResourceId" });
    const identity = await rpcError(server.connection.sendRequest(ArmParseResourceId, { kind: "ContainerRegistryToken", resourceGroupName: "rg" }));
    expect(identity.message).toBe("InputObject has null value for InputObject.SubscriptionId");
    expect(identity.data).toEqual({ category: "InvalidArgument", errorId: "InputObjectNullValue", target: "InputObject" });
    // A kind of the wrong type is the params' error, before the parse.
    const params = await rpcError(server.connection.sendRequest("arm/parseResourceId", { kind: 5 }));
    expect(params.code).toBe(-32602);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test("no identity configured is an authentication error that says what to set", async () => {
    const e = await rpcError(
      server.connection.sendRequest(ApimNewUserToken, {
        context: { env: { AZURE_SUBSCRIPTION_ID: crypto.randomUUID() } },
        resourceGroupName: "powershelltest",
        serviceName: "powershellsdkservice",
        userId: "integration",
        keyType: "Primary",
        expiry: inHours(1),
      }),
    );
    expect(e.code).toBe(BridgeErrorCodes.AuthenticationFailed);
    expect(e.message).toMatch(/AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET/);
    expect(e.data).toMatchObject({ category: "AuthenticationError", errorId: "NoAzureIdentity" });
  });
});

describe("against the emulator", () => {
  let emulator: EmulatorProcess;
  let server: ServerProcess;

  beforeAll(async () => {
    emulator = await startEmulatorProcess();
    server = spawnServer();
  });
  afterAll(async () => {
    await server?.dispose();
    await emulator?.stop();
  });
  beforeEach(async () => {
    await emulator.control("DELETE", "/faults");
    await emulator.control("PUT", "/latency", { ms: 0 });
    await emulator.control("DELETE", "/requests");
  });

  const tokenParams = (over: Partial<ApimNewUserTokenParams> = {}): ApimNewUserTokenParams => ({
    context: { env: emulator.env },
    resourceGroupName: emulator.info.resourceGroup,
    serviceName: emulator.info.apimServiceName,
    userId: "integration",
    keyType: "Primary",
    expiry: "",
    ...over,
  });

  test("apim/newUserToken returns the service's token, signed with the user's key", async () => {
    const expiry = new Date(Date.now() + 8 * 3600_000);
    const { userToken } = await server.connection.sendRequest(ApimNewUserToken, tokenParams({ expiry: expiry.toISOString() }));
    const [uid, stamp, sig] = userToken.split("&");
    expect(uid).toBe("integration");
    const minute = new Date(Math.floor(expiry.getTime() / 60000) * 60000);
    const iso = minute.toISOString(); // yyyy-MM-ddTHH:mm:00.000Z
    expect(stamp).toBe(iso.slice(0, 16).replace(/[-T:]/g, ""));
    const keys = await emulator.control<{ primaryKey: string }>("GET", "/apim/users/integration/keys");
    const expected = crypto
      .createHmac("sha512", Buffer.from(keys.body.primaryKey, "utf8"))
      .update(`integration\n${iso.slice(0, 16)}:00.0000000Z`, "utf8")
      .digest("base64");
    expect(sig).toBe(expected);
  });

  test("a service error carries the service's code, message, status and request id", async () => {
    const e = await rpcError(server.connection.sendRequest(ApimNewUserToken, tokenParams({ userId: "nobody", expiry: inHours(1) })));
    expect(e.code).toBe(BridgeErrorCodes.ServiceError);
    expect(e.data).toMatchObject({ category: "ObjectNotFound", statusCode: 404, serviceCode: "ResourceNotFound" });
    expect(e.data!.serviceMessage).toBeTruthy();
    expect(e.data!.requestId).toMatch(/^[0-9a-f-]{36}$/);
    const log = await emulator.requestLog();
    expect(log.some((r) => r.path.endsWith("/users/nobody/token") && r.status === 404)).toBe(true);
  });

  test("a wrong client secret is an authentication error, and the secret is not in it", async () => {
    const secret = "wrong8Q~" + crypto.randomBytes(16).toString("hex");
    const e = await rpcError(
      server.connection.sendRequest(
        ApimNewUserToken,
        tokenParams({ context: { env: { ...emulator.env, AZURE_CLIENT_SECRET: secret } }, expiry: inHours(1) }),
      ),
    );
    expect(e.code).toBe(BridgeErrorCodes.AuthenticationFailed);
    expect(e.message).toMatch(/AADSTS7000215/);
    expect(e.data).toMatchObject({ category: "AuthenticationError", serviceCode: "AADSTS7000215" });
    expect(JSON.stringify({ m: e.message, d: e.data })).not.toContain(secret);
    expect(server.stderr()).not.toContain(secret);
  });

  test("bad input makes no request to Azure", async () => {
    await rpcError(server.connection.sendRequest(ApimNewUserToken, tokenParams({ expiry: inHours(24 * 31) })));
    await rpcError(server.connection.sendRequest(ApimNewUserToken, tokenParams({ expiry: inHours(-1) })));
    expect(await emulator.requestLog()).toEqual([]);
  });

  test("several requests are in flight at once, each answered when it completes", async () => {
    // Warm the credential so the timings below are ARM calls only.
    await server.connection.sendRequest(ApimNewUserToken, tokenParams({ expiry: inHours(1) }));
    await emulator.control("PUT", "/latency", { ms: 1500 });
    await emulator.control("DELETE", "/requests");
    const order: string[] = [];
    const slow = ["integration", "1", "integration"].map((userId, i) =>
      server.connection.sendRequest(ApimNewUserToken, tokenParams({ userId, expiry: inHours(1 + i) })).then(() => order.push(`token${i}`)),
    );
    // hello needs no network: it is answered while the three token calls are still waiting.
    await new Promise((r) => setTimeout(r, 200));
    await server.connection.sendRequest(Hello, {}).then(() => order.push("hello"));
    await Promise.all(slow);
    expect(order[0]).toBe("hello");
    // The emulator saw the three calls overlap: each arrived before the first one was answered.
    const log = (await emulator.requestLog()).filter(
      (r) => r.service === "arm",
    );
    expect(log).toHaveLength(3);
    const firstDone = Math.min(...log.map((r) => Date.parse(r.time) + r.durationMs));
    for (const r of log) expect(Date.parse(r.time)).toBeLessThan(firstDone);
  });

  test("$/cancelRequest ends a call early with RequestCancelled", async () => {
    await server.connection.sendRequest(ApimNewUserToken, tokenParams({ expiry: inHours(1) }));
    await emulator.control("PUT", "/latency", { ms: 10_000 });
    const source = new (require("vscode-jsonrpc/node").CancellationTokenSource)();
    const started = Date.now();
    const call = server.connection.sendRequest(ApimNewUserToken, tokenParams({ expiry: inHours(2) }), source.token);
    // Late enough that the HTTP request is out even on a loaded machine (the answer is due at 10 s).
    setTimeout(() => source.cancel(), 1000);
    const e = await rpcError(call);
    expect(e.code).toBe(BridgeErrorCodes.RequestCancelled);
    expect(Date.now() - started).toBeLessThan(9000); // the answer was due at 10 s
    // The server aborted its HTTP request: the emulator saw the client go away unanswered (it logs
    // that when it notices the closed connection, which may be a moment after the cancel).
    let log = await emulator.requestLog();
    for (let i = 0; i < 50 && log.filter((x) => x.path.endsWith("/users/integration/token")).length < 2; i++) {
      await new Promise((r) => setTimeout(r, 100));
      log = await emulator.requestLog();
    }
    expect(log.filter((x) => x.path.endsWith("/users/integration/token")).map((x) => x.clientAborted ?? false)).toEqual([false, true]);
    // The server is still healthy afterwards.
    await emulator.control("PUT", "/latency", { ms: 0 });
    await expect(server.connection.sendRequest(Hello, {})).resolves.toMatchObject({ name: "aztokenbridge" });
  });

  test("a throttled call is retried after Retry-After and succeeds", async () => {
    await emulator.control("POST", "/faults", { match: { service: "arm", pathContains: "/token" }, status: 429, retryAfterSeconds: 1, count: 1 });
    const r = await server.connection.sendRequest(ApimNewUserToken, tokenParams({ expiry: inHours(1) }));
    expect(r.userToken).toMatch(/^integration&/);
    const log = (await emulator.requestLog()).filter((x) => x.service === "arm");
    expect(log.map((x) => x.status)).toEqual([429, 200]);
    expect(Date.parse(log[1].time) - Date.parse(log[0].time)).toBeGreaterThanOrEqual(900);
  });
});
