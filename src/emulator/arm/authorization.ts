/**
 * ARM's authorization step (Azure RBAC): after the token is authenticated and the subscription's
 * tenant matches, ARM works out the action a request needs and the scope it acts on, and answers
 * 403 AuthorizationFailed unless the caller (token `oid`) holds a role at that scope or above it
 * (Directory.hasAccess; Contributor and Owner allow every action served here).
 *
 * Actions: `{namespace}/{resource types…}/read | write | delete` by HTTP method, and for POST to an
 * action segment `{namespace}/{resource types…}/{action}/action`, e.g.
 *   GET  …/service/svc/users/1                      Microsoft.ApiManagement/service/users/read
 *   POST …/service/svc/users/1/token                Microsoft.ApiManagement/service/users/token/action
 *   POST …/service/svc/tenant/access/listSecrets    Microsoft.ApiManagement/service/tenant/listSecrets/action
 *   GET  /subscriptions/{s}/resourcegroups          Microsoft.Resources/subscriptions/resourcegroups/read
 *   GET  /subscriptions/{s}/resources               Microsoft.Resources/subscriptions/resources/read
 * Scope: the resource's path as sent; for a collection (or an action) the path of its parent, as ARM
 * reports it (e.g. listing VMs in a group: "over scope '/subscriptions/…/resourceGroups/rg/providers/Microsoft.Compute'").
 *
 * The message, as ARM sends it (many public reports, e.g. Azure/ARO-RP#31, azure-stack-docs#3303); for a
 * service principal both ids are its object id:
 *   The client '<oid>' with object id '<oid>' does not have authorization to perform action '<action>' over scope
 *   '<scope>' or the scope is invalid. If access was recently granted, please refresh your credentials.
 */
import type { JwtClaims } from "../entra/jwt";

export interface RequiredPermission {
  action: string;
  scope: string;
}

/**
 * The action and scope of an ARM request below /subscriptions/{id}. `rawPath` is the path as sent
 * (percent-encoded); `canonicalNamespace` maps a namespace to its registered casing.
 */
export function requiredPermission(method: string, rawPath: string, canonicalNamespace: (ns: string) => string): RequiredPermission {
  const seg = rawPath.split("/").filter((s) => s !== "");
  const decode = (s: string): string => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  const scopeOf = (n: number): string => `/${seg.slice(0, n).join("/")}`;
  const verb = method === "GET" || method === "HEAD" ? "read" : method === "DELETE" ? "delete" : method === "POST" ? "action" : "write";
  const rg = "Microsoft.Resources/subscriptions/resourcegroups";

  // The generic resource list: GET /subscriptions/{s}[/resourceGroups/{rg}]/resources.
  if (seg.length === 3 && seg[2].toLowerCase() === "resources") return { action: "Microsoft.Resources/subscriptions/resources/read", scope: scopeOf(2) };
  if (seg.length === 5 && seg[2].toLowerCase() === "resourcegroups" && seg[4].toLowerCase() === "resources") {
    return { action: `${rg}/resources/read`, scope: scopeOf(4) };
  }
  if (seg.length <= 2) return { action: `Microsoft.Resources/subscriptions/${verb === "action" ? "write" : verb}`, scope: scopeOf(2) };
  if (seg[2].toLowerCase() !== "resourcegroups") return { action: "Microsoft.Resources/subscriptions/read", scope: scopeOf(seg.length) };
  if (seg.length === 3) return { action: `${rg}/read`, scope: scopeOf(2) };
  if (seg.length === 4) return { action: `${rg}/${verb === "action" ? "write" : verb}`, scope: scopeOf(4) };
  if (seg[4].toLowerCase() !== "providers" || seg.length < 6) return { action: `${rg}/read`, scope: scopeOf(seg.length) };

  const namespace = canonicalNamespace(decode(seg[5]));
  const rest = seg.slice(6).map(decode);
  if (rest.length === 0) return { action: `${namespace}/read`, scope: scopeOf(6) };
  const typesOf = (parts: string[]): string => parts.filter((_, i) => i % 2 === 0).join("/");
  // rest = [type, name, type, name, …]; an odd length ends with a collection type or an action name.
  if (rest.length % 2 === 1) {
    if (verb === "action" && rest.length >= 3) {
      const actionName = rest[rest.length - 1];
      return { action: `${namespace}/${typesOf(rest.slice(0, -1))}/${actionName}/action`, scope: scopeOf(seg.length - 1) };
    }
    return { action: `${namespace}/${typesOf(rest)}/${verb === "action" ? "write" : verb}`, scope: scopeOf(seg.length - 1) };
  }
  return { action: `${namespace}/${typesOf(rest)}/${verb === "action" ? "write" : verb}`, scope: scopeOf(seg.length) };
}

/** ARM's AuthorizationFailed message for a token's caller. */
export function authorizationFailedMessage(claims: JwtClaims, p: RequiredPermission): string {
  const oid = typeof claims.oid === "string" ? claims.oid : "";
  // Users are named by UPN, service principals (and managed identities) by object id.
  const client = typeof claims.upn === "string" ? claims.upn : typeof claims.unique_name === "string" && claims.idtyp !== "app" ? claims.unique_name : oid;
  return (
    `The client '${client}' with object id '${oid}' does not have authorization to perform action '${p.action}' over scope '${p.scope}' ` +
    "or the scope is invalid. If access was recently granted, please refresh your credentials."
  );
}
