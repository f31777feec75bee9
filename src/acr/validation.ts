/**
 * What Azure Container Registry and ARM would reject, checked before any network call. The limits
 * are the REST specification's URI constraints (acr.md §2.1) and the generated Az client's
 * `TokensCreate_Validate` (§1.6), which the Az cmdlet itself never calls.
 */
import { invalidInput, quote } from "../rpc/errors";
import type { AcrRegistryRef, AcrTokenProperties } from "../protocol";
import { matchResourceId, RESOURCE_ID_TEMPLATES } from "../azure/resourceId";

const GUID = /^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$/;
const RESOURCE_GROUP = /^[-\w._()]+$/;
const REGISTRY = /^[a-zA-Z0-9]*$/;
const TOKEN = /^[a-zA-Z0-9-]*$/;

export function checkRegistryRef(ref: AcrRegistryRef): void {
  if (ref.subscriptionId !== undefined && ref.subscriptionId !== null && !GUID.test(ref.subscriptionId)) {
    throw invalidInput("InvalidSubscriptionId", "SubscriptionId", `Subscription id ${quote(ref.subscriptionId)} is invalid: it must be a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx).`);
  }
  const rg = ref.resourceGroupName ?? "";
  if (rg.length < 1 || rg.length > 90 || !RESOURCE_GROUP.test(rg) || rg.endsWith(".")) {
    throw invalidInput(
      "InvalidResourceGroupName",
      "ResourceGroupName",
      `Resource group name ${quote(rg)} is invalid: it must be 1 to 90 characters of letters, digits, '_', '-', '.', '(' or ')', and must not end with '.'.`,
    );
  }
  const reg = ref.registryName ?? "";
  if (reg.length < 5 || reg.length > 50 || !REGISTRY.test(reg)) {
    throw invalidInput("InvalidRegistryName", "RegistryName", `Registry name ${quote(reg)} is invalid: it must be 5 to 50 letters and digits.`);
  }
}

export function checkTokenName(name: string | undefined, target = "Name"): string {
  const n = name ?? "";
  if (n.length < 5 || n.length > 50 || !TOKEN.test(n)) {
    throw invalidInput("InvalidTokenName", target, `Token name ${quote(n)} is invalid: it must be 5 to 50 characters of letters, digits and '-'.`);
  }
  return n;
}

export function checkScopeMapName(name: string): void {
  if (name.length < 5 || name.length > 50 || !/^[a-zA-Z0-9_-]*$/.test(name)) {
    throw invalidInput("InvalidScopeMapName", "Name", `Scope map name ${quote(name)} is invalid: it must be 5 to 50 characters of letters, digits, '_' and '-'.`);
  }
}

function checkDate(value: string | undefined, target: string): Date | undefined {
  if (value === undefined || value === null) return undefined;
  const d = new Date(value);
  if (typeof value !== "string" || Number.isNaN(d.getTime())) throw invalidInput("InvalidDate", target, `${quote(String(value))} is not a valid date (${target}).`);
  return d;
}

export function checkPasswordName(name: string | undefined, target: string): string | undefined {
  if (name === undefined || name === null || name === "") return undefined;
  const n = String(name).toLowerCase();
  if (n !== "password1" && n !== "password2") {
    throw invalidInput("InvalidPasswordName", target, `Password name ${quote(name)} is invalid: use password1 or password2.`);
  }
  return n;
}

/** Checks the token's settable properties; returns them normalized (lower-case names and status). */
export function checkTokenProperties(p: AcrTokenProperties | undefined): AcrTokenProperties {
  const t = p ?? {};
  const out: AcrTokenProperties = {};
  if (t.scopeMapId !== undefined && t.scopeMapId !== null && t.scopeMapId !== "") {
    // A "." or ".." segment would name another resource once resolved: not a scope map's id.
    if (!matchResourceId(RESOURCE_ID_TEMPLATES.ContainerRegistryScopeMap, t.scopeMapId) || t.scopeMapId.split("/").some((x) => x === "." || x === "..")) {
      throw invalidInput(
        "InvalidScopeMapId",
        "ScopeMapId",
        `Scope map id ${quote(t.scopeMapId)} is invalid: it must be a resource id /subscriptions/…/resourceGroups/…/providers/Microsoft.ContainerRegistry/registries/…/scopeMaps/….`,
      );
    }
    out.scopeMapId = t.scopeMapId;
  }
  if (t.status !== undefined && t.status !== null && t.status !== "") {
    const s = String(t.status).toLowerCase();
    if (s !== "enabled" && s !== "disabled") throw invalidInput("InvalidStatus", "Status", `Token status ${quote(t.status)} is invalid: use enabled or disabled.`);
    out.status = s;
  }
  if (t.passwords) {
    out.passwords = t.passwords.map((pw) => {
      if ((pw as { value?: unknown }).value !== undefined && (pw as { value?: unknown }).value !== null) {
        throw invalidInput("PasswordValueNotSettable", "CredentialsPassword", "A password value cannot be set: the service generates it. Use -GeneratePassword or New-AzContainerRegistryCredentials.");
      }
      const name = checkPasswordName(pw.name, "CredentialsPassword");
      const creationTime = checkDate(pw.creationTime, "CredentialsPassword.CreationTime");
      const expiry = checkDate(pw.expiry, "CredentialsPassword.Expiry");
      return { name, creationTime: creationTime?.toISOString(), expiry: expiry?.toISOString() };
    });
  }
  if (t.certificates) {
    out.certificates = t.certificates.map((c) => {
      let name: string | undefined;
      if (c.name !== undefined && c.name !== null && c.name !== "") {
        name = String(c.name).toLowerCase();
        if (name !== "certificate1" && name !== "certificate2") {
          throw invalidInput("InvalidCertificateName", "CredentialsCertificate", `Certificate name ${quote(c.name)} is invalid: use certificate1 or certificate2.`);
        }
      }
      const expiry = checkDate(c.expiry, "CredentialsCertificate.Expiry");
      return { name, expiry: expiry?.toISOString(), thumbprint: c.thumbprint, encodedPemCertificate: c.encodedPemCertificate };
    });
  }
  return out;
}

/** The poll URL must be on the call's ARM endpoint: the server sends its bearer token there. */
export function checkOperationUrl(url: string, armEndpoint: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw invalidInput("InvalidOperationUrl", "Target", `${quote(url)} is not an absolute URL.`);
  }
  if (u.origin.toLowerCase() !== new URL(armEndpoint).origin.toLowerCase()) {
    throw invalidInput("InvalidOperationUrl", "Target", `The operation URL '${u.origin}…' is not on the Resource Manager endpoint ${new URL(armEndpoint).origin}: no token is sent there.`);
  }
  return u;
}
