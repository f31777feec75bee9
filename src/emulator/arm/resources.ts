/**
 * ARM's generic resource list (Microsoft.Resources `Resources_List` / `Resources_ListByResourceGroup`):
 *
 *   GET /subscriptions/{sub}/resources?$filter=…&api-version=…
 *   GET /subscriptions/{sub}/resourceGroups/{rg}/resources?$filter=…&api-version=…
 *
 * `az acr … -n <registry>` without `-g` finds the registry's resource group this way
 * (azure-cli acr/_utils.py `_arm_get_resource_by_name`: `$filter=resourceType eq 'Microsoft.ContainerRegistry/registries'`,
 * api-version 2021-04-01). Each item is the resource's generic envelope, in the order ARM writes it
 * (recorded: azure-cli test_repository_token_create.yaml @e2939d30, `{"value":[{"id","name","type",
 * "sku":{"name","tier"},"location","identity"?,"tags":{},"systemData":{…}}]}`): the provider's own
 * properties are not in it, and the location is the normalized name ("westus2").
 *
 * `$filter`: `resourceType eq '…'`, `name eq '…'`, `resourceGroup eq '…'`, `location eq '…'`, joined by
 * `and` (case-insensitive names and values, as ARM compares them). ARM knows more (`or`, `substringof`,
 * tags); the emulator refuses those with 400 InvalidFilterInQueryString. No `nextLink`: every list fits
 * one page.
 */

/** The keys of ARM's generic resource envelope, in the order ARM writes them (recorded). */
const GENERIC_KEYS = ["id", "name", "type", "sku", "kind", "managedBy", "plan", "location", "identity", "tags", "systemData"] as const;

/** The generic envelope of a provider's resource JSON: only the generic keys, location normalized. */
export function genericResource(full: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of GENERIC_KEYS) {
    if (full[k] === undefined) continue;
    out[k] = k === "location" && typeof full[k] === "string" ? normalizeLocation(full[k] as string) : k === "systemData" ? armTimes(full[k]) : full[k];
  }
  return out;
}

/** systemData times as ARM writes them in the generic list ("…Z"; the RP writes "…+00:00"), as recorded. */
function armTimes(systemData: unknown): unknown {
  if (typeof systemData !== "object" || systemData === null) return systemData;
  return Object.fromEntries(Object.entries(systemData).map(([k, v]) => [k, typeof v === "string" ? v.replace(/^(\d{4}-\d\d-\d\dT[\d:.]+)\+00:00$/, "$1Z") : v]));
}

/** "West US 2" → "westus2" (ARM's location names). */
export function normalizeLocation(location: string): string {
  return location.toLowerCase().replace(/\s+/g, "");
}

export type ResourceFilter = (r: Record<string, unknown>) => boolean;

const CLAUSE = /^\s*(resourceType|name|resourceGroup|location)\s+eq\s+'((?:[^']|'')*)'\s*$/i;

/**
 * Parses the `$filter` subset above; undefined when it is not one the emulator understands.
 * An empty or missing filter matches everything.
 */
export function parseResourceFilter(filter: string | null): ResourceFilter | undefined {
  if (filter === null || filter.trim() === "") return () => true;
  const clauses = filter.split(/\s+and\s+/i);
  const tests: ResourceFilter[] = [];
  for (const clause of clauses) {
    const m = CLAUSE.exec(clause);
    if (!m) return undefined;
    const field = m[1].toLowerCase();
    const value = m[2].replace(/''/g, "'").toLowerCase();
    tests.push((r) => {
      const id = typeof r.id === "string" ? r.id : "";
      const actual =
        field === "resourcetype" ? r.type
        : field === "name" ? r.name
        : field === "location" ? r.location
        : (/\/resourceGroups\/([^/]+)/i.exec(id)?.[1] ?? "");
      return typeof actual === "string" && actual.toLowerCase() === value;
    });
  }
  return (r) => tests.every((t) => t(r));
}
