/**
 * Emulator building blocks without a server: the APIM SAS signing (apim.md test vectors), expiry
 * parsing, the OData filter subset, the CLI argument parser, runEmulatorCli's bad-argument path,
 * the certificate, ARM's action/scope mapping for authorization, and role-assignment scopes.
 */
import { createHmac, X509Certificate } from "node:crypto";
import { compactExpiry, signedExpiry, truncateToMinute, userToken, userTokenSignature } from "../../src/emulator/apim/sas";
import { parseIsoDate } from "../../src/emulator/apim/apim";
import { compileFilter, FilterError } from "../../src/emulator/apim/filter";
import { createEmulatorCertificate } from "../../src/emulator/cert";
import { parseEmulatorArgs, runEmulatorCli } from "../../src/emulator";
import { dotNetGeneralDate } from "../../src/emulator/util";
import { requiredPermission } from "../../src/emulator/arm/authorization";
import { Directory } from "../../src/emulator/directory";
import { FaultStore, parseFaultSpec } from "../../src/emulator/faults";
import type { RequestContext } from "../../src/emulator/http";

const DOC_KEY = "pXeTVcmdbU9XxH6fPcPlq8Y9D9G3Cdo5Eh2nMSgKj/DWqeSFFXDdmpz5Trv+L2hQNM+nGa704Rf8Z22W9O1jdQ==";

describe("APIM user token (SAS) signing", () => {
  test("compact-form test vector from apim.md §4.3", () => {
    expect(userToken("integration", new Date("2018-08-02T05:00:00Z"), DOC_KEY)).toBe(
      "integration&201808020500&djdXZ3p7GmXg93sbMAbrvN1PIqhqXi4P7KAu2qCBq18Zt1HFz8khkFgEhDKfnNxLlbseOB4iSszZ57dDCorGLQ==",
    );
  });

  test("long-form signature test vector from apim.md §4.3 (same HMAC, other uid and expiry)", () => {
    expect(userTokenSignature("53d7e14aee681a0034030003", new Date("2014-08-04T22:03:00Z"), DOC_KEY)).toBe(
      "jZpVO0S0oAy7QEiuefPUia9l2ijdkFjs2WvnbH68V6LSVEcjwBfyeG/YHdWQyT00LExwhkIrgXWIm3Sj2oYzzw==",
    );
  });

  test("expiry is truncated (not rounded) to the minute in UTC, as recorded", () => {
    expect(compactExpiry(truncateToMinute(new Date("2022-04-02T02:59:49.2215643Z")))).toBe("202204020259");
    expect(compactExpiry(truncateToMinute(new Date("2019-05-14T05:24:24.8449556Z")))).toBe("201905140524");
    expect(signedExpiry(new Date("2019-05-14T05:24:00Z"))).toBe("2019-05-14T05:24:00.0000000Z");
    // Seconds do not change the token: both sign the same minute.
    expect(userToken("ps7599", new Date("2019-05-14T05:24:59.999Z"), DOC_KEY)).toBe(userToken("ps7599", new Date("2019-05-14T05:24:00Z"), DOC_KEY));
  });

  test("the key is used as UTF-8 text, not base64-decoded", () => {
    const expected = createHmac("sha512", Buffer.from(DOC_KEY, "utf8")).update("git\n2030-01-01T00:00:00.0000000Z").digest("base64");
    const wrong = createHmac("sha512", Buffer.from(DOC_KEY, "base64")).update("git\n2030-01-01T00:00:00.0000000Z").digest("base64");
    const sig = userTokenSignature("git", new Date("2030-01-01T00:00:30Z"), DOC_KEY);
    expect(sig).toBe(expected);
    expect(sig).not.toBe(wrong);
    expect(sig).toHaveLength(88);
  });
});

describe("expiry parsing (.NET DateTime binding)", () => {
  test.each([
    ["2019-05-14T05:24:24.8449556Z", "2019-05-14T05:24:24.844Z"],
    ["2019-04-21T00:44:24.284Z", "2019-04-21T00:44:24.284Z"],
    ["2019-05-03T14:00", "2019-05-03T14:00:00.000Z"], // no zone: treated as UTC (apim.md §1.4)
    ["2019-05-03T16:00:00+02:00", "2019-05-03T14:00:00.000Z"],
    ["2019-05-03", "2019-05-03T00:00:00.000Z"],
  ])("%s", (text, iso) => {
    expect(parseIsoDate(text)?.toISOString()).toBe(iso);
  });

  test.each(["tomorrow", "2019-13-01T00:00:00Z", "2019-02-30T00:00:00Z", "2019-05-03T25:00:00Z", ""])("rejects %j", (text) => {
    expect(parseIsoDate(text)).toBeUndefined();
  });
});

describe("OData $filter subset", () => {
  interface U { name: string; firstName: string; email: string; state: string; registrationDate: string; note: string | null }
  const users: U[] = [
    { name: "1", firstName: "Administrator", email: "admin@contoso.com", state: "active", registrationDate: "2019-05-09T04:29:23.44Z", note: null },
    { name: "a1", firstName: "Adele", email: "adele.vance@contoso.com", state: "active", registrationDate: "2019-05-10T09:00:00Z", note: "vip" },
    { name: "h1", firstName: "Henrietta", email: "henrietta@fabrikam.net", state: "blocked", registrationDate: "2019-05-21T12:00:00Z", note: null },
  ];
  const fields = { name: (u: U) => u.name, firstName: (u: U) => u.firstName, email: (u: U) => u.email, state: (u: U) => u.state, registrationDate: (u: U) => u.registrationDate, note: (u: U) => u.note };
  const names = (f: string): string[] => users.filter(compileFilter(f, fields)).map((u) => u.name);

  test.each([
    ["state eq 'blocked'", ["h1"]],
    ["State EQ 'BLOCKED'", ["h1"]],
    ["state ne 'blocked'", ["1", "a1"]],
    ["startswith(firstName, 'Ad')", ["1", "a1"]],
    ["endswith(email, '.net')", ["h1"]],
    ["contains(email, 'CONTOSO')", ["1", "a1"]],
    ["substringof('vance', email)", ["a1"]],
    ["startswith(firstName,'Ad') and not (name eq '1')", ["a1"]],
    ["name eq '1' or state eq 'blocked'", ["1", "h1"]],
    ["registrationDate ge 2019-05-10T00:00:00Z", ["a1", "h1"]],
    ["note eq null", ["1", "h1"]],
    ["firstName eq 'O''Brien'", []],
  ])("%s", (filter, expected) => {
    expect(names(filter)).toEqual(expected);
  });

  test.each(["", "state eq", "state blocked", "bogus eq 'x'", "contains(email)", "(state eq 'active'", "state eq 'x' extra", "state eq 'unterminated"])(
    "rejects %j",
    (filter) => {
      expect(() => compileFilter(filter, fields)).toThrow(FilterError);
    },
  );
});

describe("emulator command line", () => {
  test("defaults", () => {
    expect(parseEmulatorArgs([])).toEqual({ ok: true, help: false, options: { port: 0, latencyMs: 0 } });
  });

  test("--port and --latency-ms, separate and = forms", () => {
    expect(parseEmulatorArgs(["--port", "8443", "--latency-ms", "250"])).toEqual({ ok: true, help: false, options: { port: 8443, latencyMs: 250 } });
    expect(parseEmulatorArgs(["--port=0", "--latency-ms=0"])).toEqual({ ok: true, help: false, options: { port: 0, latencyMs: 0 } });
    expect(parseEmulatorArgs(["--help"])).toMatchObject({ ok: true, help: true });
  });

  test.each([
    [["--port"], "--port needs a value."],
    [["--port", "abc"], "--port must be an integer from 0 to 65535 (got 'abc')."],
    [["--port", "65536"], "--port must be an integer from 0 to 65535 (got '65536')."],
    [["--port", "-1"], "--port must be an integer from 0 to 65535 (got '-1')."],
    [["--latency-ms", "1.5"], "--latency-ms must be an integer from 0 to 600000 (got '1.5')."],
    [["--latency-ms", "600001"], "--latency-ms must be an integer from 0 to 600000 (got '600001')."],
    [["--verbose"], "unknown argument '--verbose'."],
    [["8443"], "unknown argument '8443'."],
  ])("rejects %j", (argv, error) => {
    expect(parseEmulatorArgs(argv)).toEqual({ ok: false, error });
  });

  test("runEmulatorCli: bad arguments → message on stderr, nothing on stdout, exit code 2", async () => {
    const out = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
    const err = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
    const previous = process.exitCode;
    try {
      await runEmulatorCli(["--port", "http"]);
      expect(process.exitCode).toBe(2);
      expect(out).not.toHaveBeenCalled();
      expect(err.mock.calls.map((c) => String(c[0])).join("")).toContain("--port must be an integer from 0 to 65535 (got 'http').");
    } finally {
      process.exitCode = previous;
      out.mockRestore();
      err.mockRestore();
    }
  });
});

describe("emulator certificate", () => {
  test("self-signed CA valid for 127.0.0.1 and localhost, RSA key usable for RS256", async () => {
    const cert = await createEmulatorCertificate();
    const x509 = new X509Certificate(cert.certPem);
    expect(x509.ca).toBe(true);
    expect(x509.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(x509.checkHost("localhost")).toBe("localhost");
    expect(x509.checkIssued(x509)).toBe(true);
    expect(x509.verify(cert.publicKey)).toBe(true);
    expect(new Date(x509.validTo).getTime()).toBeGreaterThan(Date.now() + 24 * 3600 * 1000);
    expect(cert.publicKey.asymmetricKeyType).toBe("rsa");
    // Each certificate has its own subject: two emulators' CAs can be trusted side by side.
    const other = new X509Certificate((await createEmulatorCertificate()).certPem);
    expect(other.subject).not.toBe(x509.subject);
    expect(x509.subject).toMatch(/^CN=127\.0\.0\.1\nO=AzTokenBridge local Azure emulator\nOU=emulator [0-9a-f]{16}$/);
  });
});

test(".NET general date format used in ARM's expiry message", () => {
  expect(dotNetGeneralDate(new Date("2025-11-24T23:31:00Z"))).toBe("11/24/2025 11:31:00 PM");
  expect(dotNetGeneralDate(new Date("2025-11-28T05:28:45Z"))).toBe("11/28/2025 5:28:45 AM");
  expect(dotNetGeneralDate(new Date("2019-05-03T00:02:34Z"))).toBe("5/3/2019 12:02:34 AM");
});

describe("ARM authorization: action and scope per request", () => {
  const sub = "/subscriptions/9e223dbe-3399-4e19-88eb-0975f02ac87f";
  const svc = `${sub}/resourceGroups/powershelltest/providers/Microsoft.ApiManagement/service/powershellsdkservice`;
  const canonical = (ns: string) => (ns.toLowerCase() === "microsoft.apimanagement" ? "Microsoft.ApiManagement" : ns);
  test.each([
    ["GET", sub, "Microsoft.Resources/subscriptions/read", sub],
    ["GET", `${sub}/resourcegroups`, "Microsoft.Resources/subscriptions/resourcegroups/read", sub],
    ["GET", `${sub}/resourceGroups/powershelltest`, "Microsoft.Resources/subscriptions/resourcegroups/read", `${sub}/resourceGroups/powershelltest`],
    ["DELETE", `${sub}/resourceGroups/powershelltest`, "Microsoft.Resources/subscriptions/resourcegroups/delete", `${sub}/resourceGroups/powershelltest`],
    ["GET", `${sub}/resourceGroups/powershelltest/providers/Microsoft.ApiManagement/service`, "Microsoft.ApiManagement/service/read", `${sub}/resourceGroups/powershelltest/providers/Microsoft.ApiManagement`],
    ["GET", svc, "Microsoft.ApiManagement/service/read", svc],
    ["GET", `${svc}/users`, "Microsoft.ApiManagement/service/users/read", svc],
    ["HEAD", `${svc}/users/1`, "Microsoft.ApiManagement/service/users/read", `${svc}/users/1`],
    ["POST", `${svc}/users/1/token`, "Microsoft.ApiManagement/service/users/token/action", `${svc}/users/1`],
    ["PATCH", `${svc}/tenant/access`, "Microsoft.ApiManagement/service/tenant/write", `${svc}/tenant/access`],
    ["POST", `${svc}/tenant/access/listSecrets`, "Microsoft.ApiManagement/service/tenant/listSecrets/action", `${svc}/tenant/access`],
    ["POST", `${svc}/tenant/gitAccess/regeneratePrimaryKey`, "Microsoft.ApiManagement/service/tenant/regeneratePrimaryKey/action", `${svc}/tenant/gitAccess`],
  ])("%s %s", (method, p, action, scope) => {
    expect(requiredPermission(method, p, canonical)).toEqual({ action, scope });
  });

  test("the namespace takes its registered casing; the scope keeps the path as sent", () => {
    const p = `${sub}/resourcegroups/PowerShellTest/providers/microsoft.apimanagement/service/x/users/a%2Fb/token`;
    expect(requiredPermission("POST", p, canonical)).toEqual({
      action: "Microsoft.ApiManagement/service/users/token/action",
      scope: `${sub}/resourcegroups/PowerShellTest/providers/microsoft.apimanagement/service/x/users/a%2Fb`,
    });
  });
});

test("role assignments apply at their scope and below, case-insensitively", () => {
  const d = new Directory();
  d.addRoleAssignment("AAAA0000-0000-4000-8000-000000000001", "/subscriptions/S1/resourceGroups/rg1");
  expect(d.hasAccess("aaaa0000-0000-4000-8000-000000000001", "/subscriptions/s1/resourcegroups/RG1/providers/X/y/z")).toBe(true);
  expect(d.hasAccess("aaaa0000-0000-4000-8000-000000000001", "/subscriptions/s1/resourcegroups/rg10")).toBe(false);
  expect(d.hasAccess("aaaa0000-0000-4000-8000-000000000001", "/subscriptions/s1")).toBe(false);
  expect(d.hasAccess("bbbb0000-0000-4000-8000-000000000002", "/subscriptions/s1/resourcegroups/rg1")).toBe(false);
  expect(d.hasAnyAccessIn("aaaa0000-0000-4000-8000-000000000001", "s1")).toBe(true);
  expect(d.hasAnyAccessIn("aaaa0000-0000-4000-8000-000000000001", "s2")).toBe(false);
});

describe("fault injection: latencyMs and probability", () => {
  // A request context as server.ts builds it, for the matcher.
  const ctx = (path: string) => ({ service: "arm", method: "POST", rawPath: path, segments: path.split("/").filter(Boolean) }) as unknown as RequestContext;

  test("parseFaultSpec checks the new fields", () => {
    expect(parseFaultSpec({ status: 429, probability: 0.3, seed: 7, latencyMs: 10 })).toMatchObject({ ok: true, spec: { probability: 0.3, seed: 7, latencyMs: 10 } });
    expect(parseFaultSpec({ status: 429, probability: 0 })).toMatchObject({ ok: false });
    expect(parseFaultSpec({ status: 429, probability: 1.5 })).toMatchObject({ ok: false });
    expect(parseFaultSpec({ status: 429, seed: 1.5 })).toMatchObject({ ok: false });
    expect(parseFaultSpec({ status: 429, latencyMs: -1 })).toMatchObject({ ok: false });
  });

  test("a probabilistic fault hits about that share of matching requests, the same ones for the same seed, and count counts hits", () => {
    const pattern = (seed: number) => {
      const store = new FaultStore();
      store.add({ match: { service: "arm" }, status: 503, probability: 0.3, seed, count: 1000 });
      return Array.from({ length: 400 }, (_, i) => (store.take(ctx(`/subscriptions/s/x${i}`)) ? 1 : 0));
    };
    const a = pattern(42);
    const hits = a.reduce((x: number, y) => x + y, 0);
    expect(hits).toBeGreaterThan(90);
    expect(hits).toBeLessThan(150);
    expect(pattern(42)).toEqual(a);
    expect(pattern(43)).not.toEqual(a);
    const limited = new FaultStore();
    limited.add({ match: {}, status: 503, probability: 0.5, seed: 1, count: 3 });
    const faulted = Array.from({ length: 50 }, (_, i) => limited.take(ctx(`/x${i}`))).filter(Boolean);
    expect(faulted).toHaveLength(3);
    expect(limited.list()).toEqual([]);
  });
});
