/**
 * State of the emulated container registries: scope maps, tokens (with the long-running operation
 * that creates each one), and the settings the control API changes (operation duration,
 * Retry-After, failures to inject, generateCredentials as 202 + Location).
 *
 * Password values are never stored: the service shows them once, in the generateCredentials answer
 * (acr.md §4); a token keeps only each password's name, creation time and expiry.
 */

export type TokenStatus = string; // "enabled" | "disabled" (extensible enum on the wire)

export interface SystemDataRecord {
  createdBy: string;
  createdByType: "User" | "Application" | "ManagedIdentity" | "Key";
  createdAt: string;
  lastModifiedBy: string;
  lastModifiedByType: "User" | "Application" | "ManagedIdentity" | "Key";
  lastModifiedAt: string;
}

export interface ScopeMapRecord {
  name: string;
  description: string;
  type: "SystemDefined" | "UserDefined";
  actions: string[];
  creationDate: string;
  systemData: SystemDataRecord;
}

export interface TokenCertificateRecord {
  name?: string;
  expiry?: string;
  thumbprint?: string;
  encodedPemCertificate?: string;
}

export interface TokenPasswordRecord {
  name: string;
  creationTime: string;
  expiry?: string;
}

/** The long-running operation behind a token PUT (201 + Azure-AsyncOperation). */
export interface TokenOperation {
  /** `token-{guid}`: the guid is the client's x-ms-client-request-id when it sent one (as recorded). */
  id: string;
  startedAt: number;
  completesAt: number;
  /** With the pendingPolls setting: status polls still answered pending; the next one finishes it. */
  pendingPolls?: number;
  outcome: "Succeeded" | "Failed";
  error?: { code: string; message: string };
  /** The signed Azure-AsyncOperation URL given out for it (path + query, origin added per request). */
  pathAndQuery: string;
}

export interface TokenRecord {
  name: string;
  scopeMapId: string;
  status: TokenStatus;
  certificates: TokenCertificateRecord[];
  passwords: TokenPasswordRecord[];
  creationDate: string;
  systemData: SystemDataRecord;
  /** The creating operation; the provisioning state follows it. */
  operation?: TokenOperation;
  /** Set once the operation has finished (or for tokens that never had one). */
  provisioningState: "Creating" | "Updating" | "Succeeded" | "Failed" | "Canceled";
}

export interface RegistryRecord {
  name: string;
  subscriptionId: string;
  resourceGroup: string;
  location: string;
  sku: "Basic" | "Standard" | "Premium";
  creationDate: string;
  systemData: SystemDataRecord;
  scopeMaps: Map<string, ScopeMapRecord>;
  tokens: Map<string, TokenRecord>;
}

/** Pending generateCredentials answered 202 + Location (when `credentialsLro` is on). */
export interface CredentialsOperation {
  id: string;
  completesAt: number;
  result: unknown;
}

/** What the control API sets (`PUT /_emulator/acr/operations`). */
export interface AcrOperationSettings {
  /** How long a token creation stays InProgress, in ms. Default 1500. */
  durationMs: number;
  /** Retry-After (seconds) on the 201 and on every status poll. Default 1 (the recorded service sends 10). */
  retryAfterSeconds: number;
  /** The next N token creations end Failed. */
  failNext: number;
  /** Error of a failed operation (defaults marked where they are defined, in acr.ts). */
  failCode?: string;
  failMessage?: string;
  /** generateCredentials answers 202 + Location and finishes after durationMs (the recorded service answers 200). */
  credentialsLro: boolean;
  /** Operations started from now on never finish (the status stays pending, the token Creating), for
   * the module's operation timeout. */
  neverFinish?: boolean;
  /** The status an unfinished operation reports. Default "InProgress" (recorded); any other value is
   * a non-terminal status clients do not know (e.g. "Queued"), which they must keep polling. */
  pendingStatus?: string;
  /** Operations started from now on answer this many status polls pending and finish at the next
   * one, whatever the time (durationMs is not used): for tests that must not depend on the
   * machine's speed. */
  pendingPolls?: number;
  /** The operation status URL answers 404 (the RP's not-found envelope), as for an operation the
   * service no longer knows (expired, or its token deleted). */
  forgetOperations?: boolean;
}

/** When an operation started at `start` finishes under `settings` (Infinity: never). */
export function completionTime(settings: AcrOperationSettings, start: number): number {
  return settings.neverFinish || settings.pendingPolls ? Infinity : start + settings.durationMs;
}

export const DEFAULT_ACR_SETTINGS: AcrOperationSettings = {
  durationMs: 1500,
  retryAfterSeconds: 1,
  failNext: 0,
  credentialsLro: false,
};

export class AcrStore {
  private readonly registries: RegistryRecord[] = [];
  readonly credentialOperations = new Map<string, CredentialsOperation>();
  settings: AcrOperationSettings = { ...DEFAULT_ACR_SETTINGS };

  add(registry: RegistryRecord): void {
    this.registries.push(registry);
  }

  find(subscriptionId: string, resourceGroup: string, name: string): RegistryRecord | undefined {
    return this.registries.find(
      (r) =>
        r.subscriptionId.toLowerCase() === subscriptionId.toLowerCase() &&
        r.resourceGroup.toLowerCase() === resourceGroup.toLowerCase() &&
        r.name.toLowerCase() === name.toLowerCase(),
    );
  }

  list(subscriptionId: string, resourceGroup?: string): RegistryRecord[] {
    return this.registries.filter(
      (r) => r.subscriptionId.toLowerCase() === subscriptionId.toLowerCase() && (!resourceGroup || r.resourceGroup.toLowerCase() === resourceGroup.toLowerCase()),
    );
  }

  /** Brings a token's provisioning state up to date with its operation. */
  settle(token: TokenRecord, now = Date.now()): TokenRecord {
    const op = token.operation;
    if (op && (token.provisioningState === "Creating" || token.provisioningState === "Updating") && now >= op.completesAt) {
      token.provisioningState = op.outcome;
    }
    return token;
  }
}

/**
 * Time as the service writes it: `2025-09-09T08:23:34.4189752+00:00` (seven fractional digits,
 * `+00:00`), as recorded.
 */
export function acrTime(d: Date = new Date(), extraTicks = 0): string {
  const iso = d.toISOString(); // 2025-09-09T08:23:34.418Z
  const ticks = String(Math.abs(Math.trunc(extraTicks)) % 10000).padStart(4, "0");
  return `${iso.slice(0, 23)}${ticks}+00:00`;
}
