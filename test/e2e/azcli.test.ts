/**
 * Fidelity check by a client nobody here wrote: the real Azure CLI (`az`, azure-cli) against the
 * packaged emulator (`aztokenbridge emulator`), registered as a cloud (test/support/azcli.ts).
 * Each command's output objects are checked, and the emulator's request log shows what it asked.
 * Last, the packaged server signs in through the same CLI (azCliEnvironment), as the module's would.
 * Needs `az` on the PATH (fails, not skips, without it) and `npm run build`.
 */
import { createHmac } from "node:crypto";
import { ApimNewUserToken } from "../../src/protocol";
import { AzCli, azCliEnvironment, setUpAzCli } from "../support/azcli";
import { EmulatorProcess, RequestLogEntry, useEmulator } from "../support/emulator";
import { spawnServer } from "../support/server";

const SUB = "9e223dbe-3399-4e19-88eb-0975f02ac87f";
const TENANT = "f82175d1-9a74-4351-bdd0-7fa19a65ca08";
const APIM_ID = `/subscriptions/${SUB}/resourceGroups/powershelltest/providers/Microsoft.ApiManagement/service/powershellsdkservice`;
const REG_ID = `/subscriptions/${SUB}/resourceGroups/lnxtest/providers/Microsoft.ContainerRegistry/registries/lnxcr`;

let emulator: EmulatorProcess;
let cli: AzCli;
/** The request log of the setup: cloud register (metadata) and login. */
let setupLog: RequestLogEntry[];

useEmulator((e) => (emulator = e));
beforeAll(async () => {
  cli = await setUpAzCli(emulator.info);
  setupLog = await emulator.requestLog();
});
afterAll(async () => {
  cli?.cleanup();
});
beforeEach(async () => {
  await emulator.control("DELETE", "/requests");
});

/** The log as `METHOD path` lines (ARM and Entra ID), for order checks. */
const lines = (log: RequestLogEntry[]) => log.map((e) => `${e.method} ${e.path} ${e.status}`);
const payload = (jwt: string) => JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString("utf8"));

describe("cloud and sign-in", () => {
  test("az cloud register with only the ARM endpoint reads GET /metadata/endpoints (2015-01-01); login asks Entra ID, then ARM for subscriptions", async () => {
    expect(lines(setupLog)).toEqual([
      "GET /metadata/endpoints 200",
      `GET /${TENANT}/v2.0/.well-known/openid-configuration 200`,
      `POST /${TENANT}/oauth2/v2.0/token 200`,
      "GET /subscriptions 200",
    ]);
    expect(setupLog[0]).toMatchObject({ service: "arm", query: { "api-version": "2015-01-01" } });
    expect(setupLog[2]).toMatchObject({
      service: "entra", grantType: "client_credentials", clientId: emulator.info.clientId, credentialType: "secret", resource: "https://management.core.windows.net/",
    });
    expect(setupLog[3]).toMatchObject({ service: "arm", query: { "api-version": "2019-11-01" } });

    const cloud = await cli.json(["cloud", "show", "--name", cli.cloudName]);
    expect(cloud).toMatchObject({
      name: cli.cloudName,
      isActive: true,
      endpoints: {
        resourceManager: emulator.info.armEndpoint,
        activeDirectory: `${emulator.info.authorityHost}/`,
        activeDirectoryResourceId: "https://management.core.windows.net/",
        activeDirectoryGraphResourceId: "https://graph.windows.net/",
        gallery: "https://gallery.azure.com/",
      },
      suffixes: { acrLoginServerEndpoint: ".azurecr.io" },
    });
    const account = await cli.json(["account", "show"]);
    expect(account).toMatchObject({
      id: SUB,
      tenantId: TENANT,
      name: "AzTokenBridge Demo Subscription",
      state: "Enabled",
      isDefault: true,
      environmentName: cli.cloudName,
      user: { name: emulator.info.clientId, type: "servicePrincipal" },
    });
  });

  test("every endpoint given to az cloud register: the CLI does not read the metadata; sign-in works the same", async () => {
    const explicit = await setUpAzCli(emulator.info, { register: "explicit" });
    try {
      const log = await emulator.requestLog();
      expect(log.some((e) => e.path.startsWith("/metadata"))).toBe(false);
      expect(lines(log)).toEqual([
        `GET /${TENANT}/v2.0/.well-known/openid-configuration 200`,
        `POST /${TENANT}/oauth2/v2.0/token 200`,
        "GET /subscriptions 200",
      ]);
      const cloud = await explicit.json(["cloud", "show"]);
      expect(cloud.endpoints).toMatchObject({ activeDirectory: emulator.info.authorityHost, activeDirectoryResourceId: "https://management.core.windows.net/" });
      expect((await explicit.json(["account", "show"])).id).toBe(SUB);
    } finally {
      explicit.cleanup();
    }
  });

  test("ARM_CLOUD_METADATA_URL (api-version 2019-05-01): the CLI's clouds come from the emulator; az acr needs no suffix option", async () => {
    const fromUrl = await setUpAzCli(emulator.info, { register: "metadataUrl" });
    try {
      const log = await emulator.requestLog();
      const metadata = log.filter((e) => e.path === "/metadata/endpoints");
      expect(metadata.map((e) => [e.query["api-version"], e.status])).toEqual([["2019-05-01", 200]]); // then cached in the config dir
      const clouds = await fromUrl.json<{ name: string }[]>(["cloud", "list"]);
      expect(clouds.map((c) => c.name)).toEqual(["AzTokenBridgeEmulator"]);
      const cloud = await fromUrl.json(["cloud", "show"]);
      expect(cloud).toMatchObject({
        name: "AzTokenBridgeEmulator",
        isActive: true,
        endpoints: {
          resourceManager: `${emulator.info.armEndpoint}/`,
          activeDirectory: `${emulator.info.authorityHost}/`,
          activeDirectoryResourceId: "https://management.core.windows.net/",
          management: "https://management.core.windows.net/",
        },
        suffixes: { acrLoginServerEndpoint: ".azurecr.io" },
      });
      expect((await fromUrl.json(["acr", "show", "-n", "lnxcr"])).loginServer).toBe("lnxcr.azurecr.io");
    } finally {
      fromUrl.cleanup();
    }
  });

  test("az account get-access-token: the cloud's ARM resource (management.core.windows.net/), or the one asked for", async () => {
    const t = await cli.json(["account", "get-access-token"]);
    expect(t).toMatchObject({ subscription: SUB, tenant: TENANT, tokenType: "Bearer", expiresOn: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/) });
    expect(payload(t.accessToken)).toMatchObject({ aud: "https://management.core.windows.net/", tid: TENANT, appid: emulator.info.clientId, iss: `https://sts.windows.net/${TENANT}/` });
    const t2 = await cli.json(["account", "get-access-token", "--resource", "https://management.azure.com"]);
    expect(payload(t2.accessToken).aud).toBe("https://management.azure.com");
    // The first token came from the CLI's MSAL cache (login); the second is a new client credentials grant.
    const tokenCalls = (await emulator.requestLog()).filter((e) => e.service === "entra" && e.method === "POST");
    expect(tokenCalls).toHaveLength(1);
    expect(tokenCalls[0]).toMatchObject({ grantType: "client_credentials", clientId: emulator.info.clientId });
  });
});

describe("API Management", () => {
  test("az apim show: the service as ARM answers it (GET …/service/powershellsdkservice)", async () => {
    const s = await cli.json(["apim", "show", "-g", "powershelltest", "-n", "powershellsdkservice"]);
    expect(s).toMatchObject({
      id: APIM_ID,
      name: "powershellsdkservice",
      type: "Microsoft.ApiManagement/service",
      resourceGroup: "powershelltest",
      location: "West US 2",
      provisioningState: "Succeeded",
      sku: { name: "Developer", capacity: 1 },
      gatewayUrl: "https://powershellsdkservice.azure-api.net",
    });
    expect(lines(await emulator.requestLog())).toEqual([`GET ${APIM_ID} 200`]);
  });

  test("az rest POST …/users/integration/token: a SAS token signed with the tenant access key", async () => {
    const expiry = new Date(Date.now() + 3600_000);
    expiry.setUTCSeconds(0, 0);
    const url = `${APIM_ID}/users/integration/token?api-version=2022-08-01`;
    const r = await cli.json(["rest", "--method", "post", "--url", url, "--body", JSON.stringify({ properties: { keyType: "primary", expiry: expiry.toISOString() } })]);
    const m = /^integration&(\d{12})&(.+)$/.exec(r.value);
    expect(m).not.toBeNull();
    const keys = (await emulator.control("GET", "/apim/users/integration/keys")).body;
    const signed = `${expiry.toISOString().slice(0, 16)}:00.0000000Z`;
    const signature = createHmac("sha512", Buffer.from(keys.primaryKey, "utf8")).update(`integration\n${signed}`).digest("base64");
    expect(m![2]).toBe(signature);
    const log = await emulator.requestLog();
    expect(lines(log)).toEqual([`POST ${APIM_ID}/users/integration/token 200`]);
    expect(log[0].query["api-version"]).toBe("2022-08-01");
  });
});

describe("Container registry", () => {
  test("az acr show, with -g (one GET) and without (ARM's generic resource list first)", async () => {
    const withGroup = await cli.json(["acr", "show", "-n", "lnxcr", "-g", "lnxtest"]);
    expect(withGroup).toMatchObject({
      id: REG_ID, name: "lnxcr", type: "Microsoft.ContainerRegistry/registries", resourceGroup: "lnxtest",
      location: "eastus", loginServer: "lnxcr.azurecr.io", sku: { name: "Premium", tier: "Premium" }, provisioningState: "Succeeded", adminUserEnabled: false,
    });
    expect(lines(await emulator.requestLog())).toEqual([`GET ${REG_ID} 200`]);
    await emulator.control("DELETE", "/requests");

    const withoutGroup = await cli.json(["acr", "show", "-n", "lnxcr"]);
    expect(withoutGroup).toEqual(withGroup);
    const log = await emulator.requestLog();
    expect(lines(log)).toEqual([`GET /subscriptions/${SUB}/resources 200`, `GET ${REG_ID} 200`]);
    expect(log[0].query).toEqual({ $filter: "resourceType eq 'Microsoft.ContainerRegistry/registries'", "api-version": "2021-04-01" });
  });

  test("az acr scope-map list: newmap and the system scope maps", async () => {
    // The Python SDK flattens properties.type as typePropertiesType.
    const maps = await cli.json<{ name: string; actions: string[]; typePropertiesType: string }[]>(["acr", "scope-map", "list", "-r", "lnxcr", "-g", "lnxtest"]);
    expect(maps.map((m) => m.name).sort()).toEqual(["_repositories_admin", "_repositories_pull", "_repositories_push", "newmap"]);
    const newmap = maps.find((m) => m.name === "newmap")!;
    expect(maps.filter((m) => m.name.startsWith("_")).map((m) => m.typePropertiesType)).toEqual(["SystemDefined", "SystemDefined", "SystemDefined"]);
    expect(newmap).toMatchObject({ typePropertiesType: "UserDefined", type: "Microsoft.ContainerRegistry/registries/scopeMaps", id: `${REG_ID}/scopeMaps/newmap`, resourceGroup: "lnxtest" });
    expect(newmap.actions.sort()).toEqual([
      "repositories/samples/hello-world/content/read",
      "repositories/samples/hello-world/content/write",
      "repositories/samples/hello-world/metadata/read",
    ]);
    expect(lines(await emulator.requestLog())).toEqual([`GET ${REG_ID}/scopeMaps 200`]);
  });

  test("az acr token create | show | list | credential generate | delete", async () => {
    // The token's operation runs past the CLI's first poll (Retry-After 1 s) at most once or twice.
    await emulator.control("PUT", "/acr/operations", { reset: true, durationMs: 1200, retryAfterSeconds: 1 });
    const name = `azcli-${Date.now().toString(36)}`;
    const tokenId = `${REG_ID}/tokens/${name}`;

    // create: the token with both passwords' values (the CLI calls generateCredentials after the operation).
    const created = await cli.json(["acr", "token", "create", "--name", name, "--registry", "lnxcr", "-g", "lnxtest", "--scope-map", "newmap"]);
    expect(created).toMatchObject({
      id: tokenId, name, type: "Microsoft.ContainerRegistry/registries/tokens", resourceGroup: "lnxtest",
      provisioningState: "Succeeded", status: "enabled", scopeMapId: `${REG_ID}/scopeMaps/newmap`,
      credentials: { username: name },
    });
    const createdPasswords = created.credentials.passwords as { name: string; value: string }[];
    expect(createdPasswords.map((p) => p.name)).toEqual(["password1", "password2"]);
    for (const p of createdPasswords) expect(p.value).toMatch(/^[A-Za-z0-9+/=]{32}$/);
    const createLog = await emulator.requestLog();
    const statuses = createLog.filter((e) => e.operationStatus).map((e) => e.operationStatus);
    expect(statuses.join(",")).toMatch(/^(InProgress,)*Succeeded$/);
    expect(createLog.map((e) => `${e.method} ${e.path.replace(/operationStatuses\/[^/]+$/, "operationStatuses/…")} ${e.status}`).filter((l, i, all) => all.indexOf(l) === i)).toEqual([
      `GET /subscriptions/${SUB}/resources 200`,
      `PUT ${tokenId} 201`,
      `GET ${tokenId}/operationStatuses/… 200`,
      `GET ${tokenId} 200`,
      `POST ${REG_ID}/generateCredentials 200`,
      `GET ${REG_ID} 200`,
    ]);
    expect(createLog.find((e) => e.method === "POST")).toMatchObject({ token: name, passwordNames: "password1,password2" });

    // show and list: the passwords' metadata, never their values.
    const shown = await cli.json(["acr", "token", "show", "-n", name, "-r", "lnxcr", "-g", "lnxtest"]);
    expect(shown).toMatchObject({ id: tokenId, name, provisioningState: "Succeeded", status: "enabled" });
    expect((shown.credentials.passwords as { name: string; value: string | null }[]).map((p) => [p.name, p.value])).toEqual([["password1", null], ["password2", null]]);
    const listed = await cli.json<{ name: string }[]>(["acr", "token", "list", "-r", "lnxcr", "-g", "lnxtest"]);
    expect(listed.map((t) => t.name)).toContain(name);

    // credential generate: only password1, a new value.
    await emulator.control("DELETE", "/requests");
    const generated = await cli.json(["acr", "token", "credential", "generate", "-n", name, "-r", "lnxcr", "-g", "lnxtest", "--password1"]);
    expect(generated.username).toBe(name);
    expect(generated.passwords).toHaveLength(1);
    expect(generated.passwords[0]).toMatchObject({ name: "password1", value: expect.stringMatching(/^[A-Za-z0-9+/=]{32}$/) });
    expect(generated.passwords[0].value).not.toBe(createdPasswords[0].value);
    const genLog = await emulator.requestLog();
    expect(lines(genLog)).toEqual([`GET /subscriptions/${SUB}/resources 200`, `POST ${REG_ID}/generateCredentials 200`]);
    expect(genLog[1]).toMatchObject({ passwordNames: "password1" });

    // delete: gone from the list; show answers the RP's 404.
    await emulator.control("DELETE", "/requests");
    const deleted = await cli.run(["acr", "token", "delete", "-n", name, "-r", "lnxcr", "-g", "lnxtest", "--yes"]);
    expect(deleted).toEqual({ status: 0, stdout: "", stderr: "" });
    expect(lines(await emulator.requestLog())).toEqual([`DELETE ${tokenId} 200`]);
    const after = await cli.json<{ name: string }[]>(["acr", "token", "list", "-r", "lnxcr", "-g", "lnxtest"]);
    expect(after.map((t) => t.name)).not.toContain(name);
    const gone = await cli.run(["acr", "token", "show", "-n", name, "-r", "lnxcr", "-g", "lnxtest"]);
    expect(gone.status).not.toBe(0);
    expect(gone.stderr).toContain(`(ResourceNotFound) The resource ${name} could not be found.`);
  });
});

describe("the packaged server through this CLI (azCliEnvironment)", () => {
  test("apim/newUserToken with the Azure CLI as the only identity: az account get-access-token, the CLI's default subscription", async () => {
    const azEnv = azCliEnvironment(cli);
    // Started as the module starts it: PATH, HOME, PYTHONPATH, REQUESTS_CA_BUNDLE (SERVER_START_VARIABLES) …
    const server = spawnServer({ PATH: cli.env.PATH, HOME: cli.env.HOME, PYTHONPATH: azEnv.PYTHONPATH, REQUESTS_CA_BUNDLE: azEnv.REQUESTS_CA_BUNDLE });
    try {
      // … and called with the session's variables: no service principal, no subscription id.
      const env = {
        AZTOKENBRIDGE_ARM_ENDPOINT: emulator.info.armEndpoint,
        NODE_EXTRA_CA_CERTS: emulator.info.caFile,
        AZURE_CONFIG_DIR: azEnv.AZURE_CONFIG_DIR,
        AZURE_CORE_COLLECT_TELEMETRY: azEnv.AZURE_CORE_COLLECT_TELEMETRY,
        AZURE_CORE_ONLY_SHOW_ERRORS: azEnv.AZURE_CORE_ONLY_SHOW_ERRORS,
      };
      const expiry = new Date(Date.now() + 3600_000).toISOString();
      const r = await server.connection.sendRequest(ApimNewUserToken, {
        context: { env }, resourceGroupName: "powershelltest", serviceName: "powershellsdkservice", userId: "integration", keyType: "Primary", expiry,
      });
      expect(r.userToken).toMatch(/^integration&\d{12}&/);
      const log = await emulator.requestLog();
      // The token came from the CLI's own sign-in (a client credentials grant of the demo app for ARM), then ARM was called.
      expect(log.filter((e) => e.service === "entra").every((e) => e.clientId === emulator.info.clientId)).toBe(true);
      const post = log.find((e) => e.method === "POST" && e.service === "arm")!;
      expect(post).toMatchObject({ path: `${APIM_ID}/users/integration/token`, status: 200, subscriptionId: SUB, clientId: emulator.info.clientId });
    } finally {
      await server.dispose();
    }
  });
});
