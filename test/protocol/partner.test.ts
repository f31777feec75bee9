/**
 * partner/newAccessToken and partner/completeLogin on the packaged server over stdio: the
 * begin/complete pair of a device-code sign-in, $/cancelRequest of a waiting completeLogin
 * (RequestCancelled, the loopback port freed), and Entra's error in ErrorData. Nothing on stderr.
 */
import * as fs from "node:fs";
import * as net from "node:net";
import { CancellationTokenSource, ResponseError } from "vscode-jsonrpc/node";
import { BridgeErrorCodes, ErrorData, PartnerCompleteLogin, PartnerNewAccessToken, PartnerNewAccessTokenParams } from "../../src/protocol";
import { EmulatorProcess, startEmulatorProcess } from "../support/emulator";
import { SERVER_BINARY } from "../support/paths";
import { ServerProcess, spawnServer } from "../support/server";

const SCOPE = "https://api.partnercenter.microsoft.com/user_impersonation";
let emulator: EmulatorProcess;
let server: ServerProcess;

beforeAll(async () => {
  if (!fs.existsSync(SERVER_BINARY)) throw new Error(`${SERVER_BINARY} is missing: run npm run build first`);
  emulator = await startEmulatorProcess();
  await emulator.control("PUT", "/entra/device-codes/interval", { seconds: 1 });
  server = spawnServer();
});
afterAll(async () => {
  await server?.dispose();
  await emulator?.stop();
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

test("device code: begin answers with the message and a login id; complete answers with the tokens", async () => {
  const begun = await server.connection.sendRequest(PartnerNewAccessToken, params({ useDeviceAuthentication: true }));
  expect(begun.result).toBeUndefined();
  expect(begun.info).toMatchObject({ environment: "AzureCloud", flow: "DeviceCode", client: "public", clientId: emulator.info.publicClientId });
  const userCode = /enter the code (\w+)/.exec(begun.warnings[0])![1];
  await emulator.control("POST", "/entra/device-codes/approve", { userCode });
  const done = await server.connection.sendRequest(PartnerCompleteLogin, { loginId: begun.pending!.loginId });
  expect(done.result.refreshToken).toMatch(/^1\.A/);
  expect(done.result.account!.username).toBe(emulator.info.users[0]);
  // A login is taken once.
  const again = await server.connection.sendRequest(PartnerCompleteLogin, { loginId: begun.pending!.loginId }).catch((e) => e);
  expect(again).toBeInstanceOf(ResponseError);
  expect((again as ResponseError<ErrorData>).data).toMatchObject({ errorId: "NoPendingLogin" });
});

test("$/cancelRequest of a waiting browser sign-in: RequestCancelled, and the port is free again", async () => {
  const begun = await server.connection.sendRequest(PartnerNewAccessToken, params({}));
  const url = /(https:\S+)$/.exec(begun.warnings[begun.warnings.length - 1])![1];
  const port = Number(new URL(new URL(url).searchParams.get("redirect_uri")!).port);
  expect(await portFree(port)).toBe(false);
  const cts = new CancellationTokenSource();
  const waiting = server.connection.sendRequest(PartnerCompleteLogin, { loginId: begun.pending!.loginId }, cts.token).catch((e) => e);
  await new Promise((r) => setTimeout(r, 300));
  cts.cancel();
  const e = (await waiting) as ResponseError<ErrorData>;
  expect(e.code).toBe(BridgeErrorCodes.RequestCancelled);
  await new Promise((r) => setTimeout(r, 200));
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
