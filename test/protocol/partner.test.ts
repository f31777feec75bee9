/**
 * partner/newAccessToken on the packaged server over stdio: a device-code sign-in as one request
 * whose message arrives as a warning notification (with the request's id) before the answer,
 * $/cancelRequest of a waiting browser sign-in (RequestCancelled, the loopback port freed), and
 * Entra's error in ErrorData. Nothing on stderr.
 */
import * as net from "node:net";
import { CancellationTokenSource, ResponseError } from "vscode-jsonrpc/node";
import { BridgeErrorCodes, ErrorData, PartnerNewAccessToken, PartnerNewAccessTokenParams, WarningNotification } from "../../src/protocol";
import { EmulatorProcess, useEmulator } from "../support/emulator";
import { ServerProcess, spawnServer } from "../support/server";

const SCOPE = "https://api.partnercenter.microsoft.com/user_impersonation";
let emulator: EmulatorProcess;
let server: ServerProcess;

useEmulator((e) => (emulator = e));
beforeAll(async () => {
  await emulator.control("PUT", "/entra/device-codes/interval", { seconds: 1 });
  server = spawnServer();
});
afterAll(async () => {
  await server?.dispose();
});

function params(p: Partial<PartnerNewAccessTokenParams>): PartnerNewAccessTokenParams {
  return {
    context: { env: { AZURE_AUTHORITY_HOST: emulator.info.authorityHost, NODE_EXTRA_CA_CERTS: emulator.info.caFile, AZTOKENBRIDGE_BROWSER: "none" } },
    parameterSet: "User",
    applicationId: emulator.info.publicClientId,
    scopes: [SCOPE],
    ...p,
  };
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

/** The next warning notification whose message matches (its params). */
function nextWarning(pattern: RegExp): Promise<{ requestId: number | string; message: string }> {
  return new Promise((resolve) => {
    const sub = server.connection.onNotification(WarningNotification, (p) => {
      if (!pattern.test(p.message)) return;
      sub.dispose();
      resolve(p);
    });
  });
}

test("device code: one request; the message is a warning notification while it waits, the answer comes once the user signed in", async () => {
  const warned = nextWarning(/enter the code/);
  let answered = false;
  const call = server.connection.sendRequest(PartnerNewAccessToken, params({ useDeviceAuthentication: true })).finally(() => (answered = true));
  const w = await warned;
  expect(answered).toBe(false);
  expect(typeof w.requestId).toBe("number");
  const userCode = /enter the code (\w+)/.exec(w.message)![1];
  await emulator.control("POST", "/entra/device-codes/approve", { userCode });
  const done = await call;
  expect(done.info).toMatchObject({ environment: "AzureCloud", flow: "DeviceCode", client: "public", clientId: emulator.info.publicClientId });
  expect(done.result.refreshToken).toMatch(/^1\.A/);
  expect(done.result.account!.username).toBe(emulator.info.users[0]);
  expect(JSON.stringify(done)).not.toMatch(/loginId|pending/);
});

test("$/cancelRequest of a waiting browser sign-in: RequestCancelled, and the port is free again", async () => {
  const warned = nextWarning(/^Unable to launch a browser/);
  const cts = new CancellationTokenSource();
  const waiting = server.connection.sendRequest(PartnerNewAccessToken, params({}), cts.token).catch((e) => e);
  const url = /(https:\S+)$/.exec((await warned).message)![1];
  const port = Number(new URL(new URL(url).searchParams.get("redirect_uri")!).port);
  expect(await portFree(port)).toBe(false);
  cts.cancel();
  const e = (await waiting) as ResponseError<ErrorData>;
  expect(e.code).toBe(BridgeErrorCodes.RequestCancelled);
  expect(await portFree(port)).toBe(true);
});

test("Entra's refusal as ErrorData (AuthenticationFailed, the AADSTS code, the request id); nothing on stderr", async () => {
  const e = (await server.connection
    .sendRequest(PartnerNewAccessToken, params({ parameterSet: "RefreshToken", refreshToken: "1.Anot-a-real-token" }))
    .catch((x) => x)) as ResponseError<ErrorData>;
  expect(e.code).toBe(BridgeErrorCodes.AuthenticationFailed);
  expect(e.data).toMatchObject({ category: "AuthenticationError", errorId: "AADSTS9002313", serviceCode: "AADSTS9002313", statusCode: 400, requestId: expect.any(String) });
  expect(e.message).toMatch(/^AADSTS9002313: Invalid request\. Request is malformed or invalid\./);
  expect(server.stderr()).toBe("");
});
