/**
 * The wire contract between the PowerShell module and the server: every JSON-RPC method, its
 * parameters, its result and the error shape. This is the one place it is written down; the
 * server's method table (src/rpc/methods.ts) is typed by it, and a unit test checks that every
 * method the module calls (module/Public/*.ps1) is declared here.
 *
 * Conventions
 * - Method names are `<service>/<operation>`, one per cmdlet that needs the server.
 * - Every request carries `context` (see CallContext): what the PowerShell session knows about
 *   sign-in and endpoints at the time of the call.
 * - Dates travel as ISO-8601 strings in UTC with a trailing `Z`.
 * - Failures are JSON-RPC errors whose `data` is an ErrorData; the module turns them into
 *   ErrorRecords (the category below is a System.Management.Automation.ErrorCategory name).
 */
import { NotificationType, RequestType } from "vscode-jsonrpc";

/** Protocol revision; bump on any incompatible change. Reported by `bridge/hello`. */
export const PROTOCOL_VERSION = 1;

/**
 * The session variables the server reads, sent with every call in CallContext.env: the module
 * sends these and no others (it reads this table from module/Private/Protocol.generated.ps1,
 * written by the build from this file), and the server uses no others. `visible`: the value may be
 * shown in -Debug output; every other value is printed as ***. Names ending in `*` are prefixes:
 * the Azure CLI's own configuration (AZURE_CORE_*, AZURE_CLOUD_*), which the server hands to the
 * `az` it runs.
 */
export const SESSION_VARIABLES: Readonly<Record<string, { visible: boolean }>> = {
  // Service principal, workload identity (src/azure/credentials.ts)
  AZURE_TENANT_ID: { visible: true },
  AZURE_CLIENT_ID: { visible: true },
  AZURE_CLIENT_SECRET: { visible: false },
  AZURE_CLIENT_CERTIFICATE_PATH: { visible: true },
  AZURE_CLIENT_CERTIFICATE_PASSWORD: { visible: false },
  AZURE_CLIENT_SEND_CERTIFICATE_CHAIN: { visible: true },
  AZURE_FEDERATED_TOKEN_FILE: { visible: true },
  // Managed identity (msal-node reads these from process.env; credentials.ts mirrors them)
  IDENTITY_ENDPOINT: { visible: true },
  IDENTITY_HEADER: { visible: false },
  IDENTITY_SERVER_THUMBPRINT: { visible: true },
  IMDS_ENDPOINT: { visible: true },
  MSI_ENDPOINT: { visible: true },
  MSI_SECRET: { visible: false },
  // Cloud, subscription and endpoints (src/azure/settings.ts)
  AZURE_ENVIRONMENT: { visible: true },
  AZURE_AUTHORITY_HOST: { visible: true },
  AZURE_SUBSCRIPTION_ID: { visible: true },
  AZTOKENBRIDGE_ARM_ENDPOINT: { visible: true },
  AZTOKENBRIDGE_ARM_SCOPE: { visible: true },
  AZTOKENBRIDGE_BROWSER: { visible: true },
  // How long a long-running operation may go on (src/acr/handlers.ts createToken)
  AZTOKENBRIDGE_OPERATION_TIMEOUT_SECONDS: { visible: true },
  NODE_EXTRA_CA_CERTS: { visible: true },
  // The Azure CLI that AzureCliCredential runs
  AZURE_CONFIG_DIR: { visible: true },
  ARM_CLOUD_METADATA_URL: { visible: true },
  "AZURE_CORE_*": { visible: true },
  "AZURE_CLOUD_*": { visible: true },
};

/**
 * What the server process is started with (module/Private/Processes.ps1): these variables of the
 * session and nothing else, so that no secret of the session sits in the server's environment
 * (/proc/<pid>/environ). The session variables above arrive with each call instead. Names ending in
 * `*` are prefixes; names match in any case (Windows spells Path, SystemRoot, … as it likes).
 */
export const SERVER_START_VARIABLES: readonly string[] = [
  // The platform: finding programs (`az`), home and temp folders, locale, time zone
  "PATH", "PATHEXT", "HOME", "USER", "LOGNAME", "TMPDIR", "TMP", "TEMP", "LANG", "LANGUAGE", "LC_*", "TZ", "XDG_*",
  "SystemRoot", "SystemDrive", "windir", "ComSpec", "ProgramFiles", "ProgramFiles(x86)", "ProgramW6432", "ProgramData",
  "CommonProgramFiles", "APPDATA", "LOCALAPPDATA", "USERPROFILE", "HOMEDRIVE", "HOMEPATH", "OS", "PROCESSOR_ARCHITECTURE",
  // Proxies and trusted certificates, which the Azure SDK, msal-node and the Azure CLI honour
  "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "no_proxy", "all_proxy",
  "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE",
  // The Azure CLI is a Python program
  "PYTHONPATH", "PYTHONHOME",
  // Opening a browser for the interactive Partner Center sign-in (src/partner/loopback.ts)
  "DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "BROWSER",
  // The server's own settings read at start (log level and file)
  "AZTOKENBRIDGE_*",
];

/**
 * Field names whose string values -Debug may print (module/Private/Window.ps1 reads this list from
 * module/Private/Protocol.generated.ps1): an allow-list. A string under any other name (tokens,
 * secrets, passwords, keys, certificates, names not listed here yet) is printed as ***. Numbers,
 * booleans and nulls are printed; the visible session variables count as fields of `env`.
 */
export const DEBUG_VISIBLE_FIELDS: readonly string[] = [
  // envelope and errors
  "jsonrpc", "method", "category", "errorId", "target", "serviceCode", "serviceMessage", "requestId", "code", "message",
  "recommendedAction", "name", "version", "node",
  // arm
  "kind",
  // context
  "source", "subscriptionId", "tenantId", "clientId", "environment", "resourceManagerUrl", "activeDirectoryAuthority",
  "account", "expiresOn", "certificatePath",
  // apim
  "resourceGroupName", "serviceName", "userId", "keyType", "expiry", "accessName", "resourceId", "principalId",
  "id", "firstName", "lastName", "email", "state", "groupId", "registrationDate", "note", "provider",
  // acr
  "registryName", "tokenName", "scopeMapId", "status", "creationTime", "thumbprint", "type", "createdBy", "createdByType",
  "createdAt", "lastModifiedBy", "lastModifiedByType", "lastModifiedAt", "creationDate", "provisioningState", "description",
  "scopeMapType", "actions", "scopeMapName", "tokenId", "passwordName", "username",
  // partner
  "parameterSet", "tenant", "applicationId", "scopes", "module", "userName", "store", "uniqueId", "extendedExpiresOn",
  "identifier", "objectId", "authority", "redirectedTo", "flow", "client", "correlationId",
];

/**
 * Field names whose values are URLs that -Debug prints with their query values (signatures) as
 * REDACTED, api-version excepted.
 */
export const DEBUG_URL_FIELDS: readonly string[] = ["url", "requestUrl", "azureAsyncOperation", "location", "target"];

/**
 * The session state that sign-in and endpoint selection depend on, captured by the module on
 * every call (so `$env:` changes made after the server started take effect).
 */
export interface CallContext {
  /** The session's variables named in SESSION_VARIABLES (and no others). */
  env: Record<string, string>;
  /**
   * `-DefaultProfile` given as a hashtable: an explicit identity, used before anything else. On
   * the wire its keys are as the user wrote them (PROFILE_KEYS' names, any case) and its values
   * strings; the server reads it through src/azure/profile.ts, which makes a ProfileSpec of it
   * and refuses a key it does not know, before any network call.
   */
  profile?: Record<string, string>;
  /**
   * An Az.Accounts context: from `-DefaultProfile <context>`, or the session's current context
   * when Az.Accounts is loaded (`Get-AzContext`), with a token from `Get-AzAccessToken` for ARM.
   */
  azContext?: AzContextSpec;
  /**
   * The cmdlet shows verbose or debug output (-Verbose, -Debug, or the preference): the server then
   * sends a verbose notification for each HTTP request it makes for the call (method, URL with
   * query values redacted, status, time; src/azure/retry.ts requestTracePolicy). Off, none is sent.
   */
  trace?: boolean;
}

/**
 * The keys of a `-DefaultProfile` hashtable, as PowerShell users write them (matched without case)
 * → the ProfileSpec field each fills. The module reads this table (Protocol.generated.ps1) only
 * to know which value is a path to resolve in the session; the checks are the server's.
 */
export const PROFILE_KEYS = {
  TenantId: "tenantId",
  SubscriptionId: "subscriptionId",
  ClientId: "clientId",
  ClientSecret: "clientSecret",
  CertificatePath: "certificatePath",
  CertificatePassword: "certificatePassword",
  Environment: "environment",
} as const satisfies Record<string, keyof ProfileSpec>;

/**
 * Session variables that configure an identity of their own (src/azure/credentials.ts, sources
 * 1-3): with one of them set, the chain uses it, so the module does not ask Az.Accounts for a
 * token it would not use.
 */
export const IDENTITY_VARIABLES: readonly string[] = [
  "AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_FEDERATED_TOKEN_FILE", "IDENTITY_ENDPOINT", "MSI_ENDPOINT",
];

/** `-DefaultProfile @{ TenantId; SubscriptionId; ClientId; ClientSecret | CertificatePath; Environment }` */
export interface ProfileSpec {
  tenantId?: string;
  subscriptionId?: string;
  clientId?: string;
  clientSecret?: string;
  /** PEM (certificate + private key) or PFX file. */
  certificatePath?: string;
  certificatePassword?: string;
  /** AzureCloud (default), AzureChinaCloud, AzureUSGovernment. */
  environment?: string;
}

export interface AzContextSpec {
  /** Where it came from: decides its place in the sign-in chain (DefaultProfile first, Az.Accounts last). */
  source: "DefaultProfile" | "Az.Accounts";
  subscriptionId?: string;
  tenantId?: string;
  /** Az environment name (AzureCloud, AzureChinaCloud, AzureUSGovernment, or a custom one). */
  environment?: string;
  /** The environment's ARM endpoint and Entra authority, when the context names them. */
  resourceManagerUrl?: string;
  activeDirectoryAuthority?: string;
  account?: string;
  /** ARM access token from Get-AzAccessToken, and its expiry (ISO-8601). */
  accessToken?: string;
  expiresOn?: string;
}

/** Categories used in ErrorData, a subset of PowerShell's ErrorCategory names. */
export type ErrorCategoryName =
  | "InvalidArgument"
  | "InvalidData"
  | "InvalidOperation"
  | "AuthenticationError"
  | "PermissionDenied"
  | "ObjectNotFound"
  | "ResourceExists"
  | "ResourceUnavailable"
  | "LimitsExceeded"
  | "ConnectionError"
  | "OperationTimeout"
  | "OperationStopped"
  | "NotImplemented"
  | "NotSpecified";

/** JSON-RPC error codes of this protocol (outside the ranges JSON-RPC and LSP reserve). */
export const BridgeErrorCodes = {
  /** Input the service would reject, refused before any network call. */
  InvalidInput: 1001,
  /** Sign-in could not get a token (configuration missing or the identity provider refused). */
  AuthenticationFailed: 1002,
  /** The Azure service answered with an error; `data` carries its code, message, request id. */
  ServiceError: 1003,
  /** The request never got an answer from Azure (DNS, TLS, connection refused, timeout). */
  NetworkError: 1004,
  /** A long-running operation did not finish within its bound (AZTOKENBRIDGE_OPERATION_TIMEOUT_SECONDS). */
  OperationTimeout: 1005,
  /** A long-running operation's status URL answered 404: the service no longer knows the operation. */
  OperationNotFound: 1006,
  /** Anything else: a bug in the server. */
  Internal: 1099,
  /** LSP's RequestCancelled: the client sent $/cancelRequest. */
  RequestCancelled: -32800,
} as const;

export interface ErrorDetail {
  code?: string;
  message?: string;
  target?: string;
}

export interface ErrorData {
  /** PowerShell ErrorCategory name. */
  category: ErrorCategoryName;
  /** Stable error id for the ErrorRecord (e.g. "ResourceNotFound", "InvalidExpiry"). */
  errorId: string;
  /** The parameter or field at fault, when known (PowerShell parameter name). */
  target?: string;
  /** HTTP status of the service's answer, for ServiceError. */
  statusCode?: number;
  /** The service's own error code and message (`error.code`, `error.message`). */
  serviceCode?: string;
  serviceMessage?: string;
  /** `x-ms-request-id` of the failed call. */
  requestId?: string;
  details?: ErrorDetail[];
  /** How to fix it, when there is a known remedy. */
  recommendedAction?: string;
}

// ------------------------------------------------------------------------------------------
// Notifications: the server speaks first, about one request in flight
//
// While a handler runs it may send notifications about its request (src/rpc/notify.ts): each one
// carries `requestId`, the id of the request it is about. The client assembly queues them per
// request (module/Client/ServerConnection.cs, RpcRequest.DequeueNotification), and the cmdlet that
// waits for the request writes them from its own pipeline thread (module/Client/CallWindow.cs,
// WriteNotification): progress with WriteProgress, a warning with WriteWarning,
// trace lines with WriteVerbose / WriteDebug. Nothing is sent after the request's answer. No
// notification carries a secret (tokens, passwords, keys, signed URLs' signatures): the server
// redacts trace lines before sending them.

/** Fields every notification about a request carries. */
export interface RequestNotificationParams {
  /** The id of the request it is about. */
  requestId: number | string;
}

/** A Write-Progress record. The module completes it (RecordType Completed) when the request ends. */
export interface ProgressNotificationParams extends RequestNotificationParams {
  activity: string;
  status: string;
  currentOperation?: string;
  /** 0–100, or absent (unknown). */
  percent?: number;
}
export const ProgressNotification = new NotificationType<ProgressNotificationParams>("bridge/progress");

/** A warning the user must see now (the device code message, the browser notices), with WriteWarning. */
export interface WarningNotificationParams extends RequestNotificationParams {
  message: string;
}
export const WarningNotification = new NotificationType<WarningNotificationParams>("bridge/warning");

/** A trace line (-Verbose with WriteVerbose, -Debug with WriteDebug), redacted in the server. */
export interface TraceNotificationParams extends RequestNotificationParams {
  message: string;
}
export const VerboseNotification = new NotificationType<TraceNotificationParams>("bridge/verbose");
export const DebugNotification = new NotificationType<TraceNotificationParams>("bridge/debug");

/**
 * The notification methods by kind, for the module (module/Private/Protocol.generated.ps1 gets
 * them as $script:NotificationMethods).
 */
export const NOTIFICATION_METHODS = {
  Progress: ProgressNotification.method,
  Warning: WarningNotification.method,
  Verbose: VerboseNotification.method,
  Debug: DebugNotification.method,
} as const;

// ------------------------------------------------------------------------------------------
// bridge/*: the server itself

export interface HelloParams {
  context?: CallContext;
}
export interface HelloResult {
  name: "aztokenbridge";
  version: string;
  protocolVersion: number;
  pid: number;
  node: string;
}
export const Hello = new RequestType<HelloParams, HelloResult, ErrorData>("bridge/hello");

// ------------------------------------------------------------------------------------------
// arm/*: Azure Resource Manager resource ids, read by the server only (src/azure/resourceId.ts)
//
// Answered at once, without network and without sign-in: the context is not read (the module sends
// the session's variables only). A bad id is an InvalidInput error with the ErrorId, the message and
// the parameter (`target`) the module writes for it; the module adds the target object.

/**
 * What the id is, and so how it is read:
 * - ApiManagementService: New-AzApiManagementContext -ResourceId, Az.ApiManagement's lenient parse
 *   (any id of the service or below it; a part the id lacks is null); over 2,048 characters it is
 *   refused (InvalidResourceId).
 * - ApiManagementUser: Get-AzApiManagementUser -ResourceId, exactly a user's id (InvalidResourceId).
 * - ContainerRegistryToken, ContainerRegistryScopeMap: the registry cmdlets' -InputObject (Az's
 *   IContainerRegistryIdentity): its Id, exactly a token's (a scope map's) id (InvalidIdentity);
 *   without an Id, its parts, each required (InputObjectNullValue). Az's error texts.
 */
export const ARM_RESOURCE_ID_KINDS = ["ApiManagementService", "ApiManagementUser", "ContainerRegistryToken", "ContainerRegistryScopeMap"] as const;
export type ArmResourceIdKind = (typeof ARM_RESOURCE_ID_KINDS)[number];

/** The parts of a resource id, by the ARM path's names. */
export interface ArmResourceIdParts {
  subscriptionId?: string | null;
  resourceGroupName?: string | null;
  serviceName?: string | null;
  userId?: string;
  registryName?: string;
  tokenName?: string;
  scopeMapName?: string;
}

export interface ArmParseResourceIdParams {
  /** Sent by the module with every call; not read. */
  context?: CallContext;
  kind: ArmResourceIdKind;
  /** The id: -ResourceId, or the Id of an -InputObject (a string that is not JSON is its Id). Empty: none. */
  resourceId?: string;
  /** The registry kinds: the -InputObject's members, read when it has no Id. */
  subscriptionId?: string;
  resourceGroupName?: string;
  registryName?: string;
  tokenName?: string;
  scopeMapName?: string;
}
/**
 * The id's parts: ApiManagementService subscriptionId, resourceGroupName, serviceName (each null
 * when the id lacks it); ApiManagementUser those and userId; the registry kinds subscriptionId,
 * resourceGroupName, registryName and tokenName or scopeMapName.
 */
export type ArmParseResourceIdResult = ArmResourceIdParts;
export const ArmParseResourceId = new RequestType<ArmParseResourceIdParams, ArmParseResourceIdResult, ErrorData>("arm/parseResourceId");

// ------------------------------------------------------------------------------------------
// apim/*: API Management (Az.ApiManagement cmdlets)

/** Which API Management service to address; from a PsApiManagementContext. */
export interface ApimServiceRef {
  resourceGroupName: string;
  serviceName: string;
  /** Subscription to use instead of the session's default (e.g. from a -ResourceId). */
  subscriptionId?: string;
}

/** New-AzApiManagementUserToken → POST …/users/{userId}/token */
export interface ApimNewUserTokenParams extends ApimServiceRef {
  context: CallContext;
  userId: string;
  keyType: "Primary" | "Secondary";
  /** Requested expiry, ISO-8601 UTC. */
  expiry: string;
}
export interface ApimNewUserTokenResult {
  /** The SAS token exactly as the service returned it: `uid&yyyyMMddHHmm&signature`. */
  userToken: string;
}
export const ApimNewUserToken = new RequestType<ApimNewUserTokenParams, ApimNewUserTokenResult, ErrorData>(
  "apim/newUserToken",
);

/** Get-AzApiManagementTenantAccess / …GitAccess → GET …/tenant/{access|gitAccess} */
export interface ApimGetTenantAccessParams extends ApimServiceRef {
  context: CallContext;
  accessName: "access" | "gitAccess";
}
export interface ApimGetTenantAccessResult {
  /** ARM resource id of the access configuration. */
  resourceId: string;
  /** The principal (user) id tokens are issued for: "integration" or "git". */
  principalId: string;
  enabled: boolean;
}
export const ApimGetTenantAccess = new RequestType<ApimGetTenantAccessParams, ApimGetTenantAccessResult, ErrorData>(
  "apim/getTenantAccess",
);

/** Get-AzApiManagementUser → GET …/users/{userId}, …/users?$filter, or …/groups/{groupId}/users */
export interface ApimGetUsersParams extends ApimServiceRef {
  context: CallContext;
  /** One user by id (404 if there is none); the filters below are then ignored. */
  userId?: string;
  /** Exact (case-insensitive) matches, combined with `and`, as Az.ApiManagement does. */
  firstName?: string;
  lastName?: string;
  email?: string;
  state?: "Active" | "Blocked" | "Pending" | "Deleted";
  /** Only members of this group. */
  groupId?: string;
}
export interface ApimUser {
  /** ARM resource id. */
  id: string;
  userId: string;
  firstName?: string;
  lastName?: string;
  email?: string;
  /** Active | Blocked | Pending | Deleted */
  state?: string;
  /** ISO-8601 UTC. */
  registrationDate?: string;
  note?: string;
  identities: { provider: string; id: string }[];
}
export interface ApimGetUsersResult {
  /** Every page, followed to the end. */
  users: ApimUser[];
}
export const ApimGetUsers = new RequestType<ApimGetUsersParams, ApimGetUsersResult, ErrorData>("apim/getUsers");

/** Argument completion: the API Management services of the subscription. */
export interface ApimListServicesParams {
  context: CallContext;
  subscriptionId?: string;
  /** Only services in this resource group. */
  resourceGroupName?: string;
}
export interface ApimListServicesResult {
  services: { name: string; resourceGroupName: string; location?: string }[];
}
export const ApimListServices = new RequestType<ApimListServicesParams, ApimListServicesResult, ErrorData>("apim/listServices");

// ------------------------------------------------------------------------------------------
// acr/*: Azure Container Registry (Az.ContainerRegistry cmdlets)
//
// The token PUT is a long-running operation, polled by the server in one request,
// `acr/createToken`, as Az's generated cmdlet polls it (TokensCreate_Call), in src/acr/handlers.ts:
//
//   PUT; -NoWait (noWait): answer { target: Azure-AsyncOperation ?? Location ?? the PUT's URL }, done
//   200 with a final provisioningState: that body is the token (an update)
//   else loop: wait Retry-After (30 s when absent; progress notifications each second, debug
//     "Delaying N seconds before polling."), GET the status URL (the SDK client's pipeline, its
//     retry policy for 5xx), stop at Succeeded/Canceled (a body with neither field too), follow a
//     new Azure-AsyncOperation/Location
//   GET the token; with generatePasswords, POST generateCredentials for each, the values merged in
//
// Bounded, unlike Az: an operation still going AZTOKENBRIDGE_OPERATION_TIMEOUT_SECONDS (a session
// variable; default 600) after the PUT's answer fails with OperationTimeout (the last poll is made at
// the bound); a status URL answering 404 fails with OperationNotFound; a failed operation
// (`status` / `provisioningState` Failed) is a ServiceError with the operation's code and message.
// $/cancelRequest (the cmdlet stopped, Ctrl+C) ends the loop at once: nothing is polled afterwards.
// The server sends the bearer token only to URLs on the ARM endpoint of the call. Piped inputs are
// one request each, within the cmdlet's window (module/Private/Window.ps1).

/** Which container registry to address. */
export interface AcrRegistryRef {
  resourceGroupName: string;
  registryName: string;
  /** `-SubscriptionId` or the InputObject's; when absent the session's default subscription. */
  subscriptionId?: string;
}

/** ITokenCertificate (dates ISO-8601 UTC). */
export interface AcrTokenCertificate {
  /** certificate1 | certificate2 */
  name?: string;
  expiry?: string;
  thumbprint?: string;
  encodedPemCertificate?: string;
}

/** ITokenPassword: `value` only in an acr/generateCredentials answer, never sent. */
export interface AcrTokenPassword {
  /** password1 | password2 */
  name?: string;
  creationTime?: string;
  expiry?: string;
  value?: string;
}

/**
 * The keys New-AzContainerRegistryToken's hashtables (and JSON objects) may have, any case: Az's
 * models' properties (acr.md 1.3: IToken, ITokenPassword, ITokenCertificate), the read-only ones
 * accepted and not sent. The module builds the wire body from these keys only, so an unknown key
 * cannot reach the server: the module refuses it before any call, naming it and these keys
 * (module/Private/Acr.ps1 Get-AzTokenBridgeAcrUnknownKey, reading Protocol.generated.ps1).
 */
export const ACR_HASHTABLE_KEYS = {
  TokenCreateParameter: [
    "ScopeMapId", "Status", "CredentialsCertificate", "CredentialsPassword",
    "Id", "Name", "Type", "ResourceGroupName", "CreationDate", "ProvisioningState",
    "SystemDataCreatedAt", "SystemDataCreatedBy", "SystemDataCreatedByType",
    "SystemDataLastModifiedAt", "SystemDataLastModifiedBy", "SystemDataLastModifiedByType",
  ],
  CredentialsPassword: ["Name", "Expiry", "CreationTime", "Value"],
  CredentialsCertificate: ["Name", "Expiry", "Thumbprint", "EncodedPemCertificate"],
} as const satisfies Record<string, readonly string[]>;

/** The settable part of a token (the PUT body's `properties`). */
export interface AcrTokenProperties {
  scopeMapId?: string;
  /** enabled | disabled */
  status?: string;
  certificates?: AcrTokenCertificate[];
  passwords?: AcrTokenPassword[];
}

export interface AcrSystemData {
  createdBy?: string;
  createdByType?: string;
  createdAt?: string;
  lastModifiedBy?: string;
  lastModifiedByType?: string;
  lastModifiedAt?: string;
}

/** A token as the service returns it (IToken). */
export interface AcrToken {
  id: string;
  name: string;
  type: string;
  /** Of the id (src/azure/resourceId.ts resourceGroupOf); absent when the id does not name one. */
  resourceGroupName?: string;
  systemData?: AcrSystemData;
  creationDate?: string;
  /** Creating | Updating | Deleting | Succeeded | Failed | Canceled */
  provisioningState?: string;
  scopeMapId?: string;
  status?: string;
  certificates: AcrTokenCertificate[];
  passwords: AcrTokenPassword[];
}

export interface AcrScopeMap {
  id: string;
  name: string;
  type: string;
  /** Of the id (src/azure/resourceId.ts resourceGroupOf); absent when the id does not name one. */
  resourceGroupName?: string;
  description?: string;
  /** SystemDefined | UserDefined */
  scopeMapType?: string;
  creationDate?: string;
  provisioningState?: string;
  actions: string[];
  systemData?: AcrSystemData;
}

/** New-AzContainerRegistryToken → PUT …/registries/{reg}/tokens/{name}, its operation polled to the end. */
export interface AcrCreateTokenParams extends AcrRegistryRef {
  context: CallContext;
  tokenName: string;
  token: AcrTokenProperties;
  /** -NoWait: answer as soon as the service accepted the PUT, with the operation's URL. */
  noWait?: boolean;
  /**
   * -GeneratePassword: once the token exists, one POST generateCredentials per entry (an entry
   * without passwordName generates both passwords). Absent or empty: none.
   */
  generatePasswords?: { passwordName?: string; expiry?: string }[];
}
export interface AcrCreateTokenResult {
  /** -NoWait: the operation's URL (Azure-AsyncOperation, else Location, else the PUT's URL). */
  target?: string;
  /** The token as it is at the end; with generatePasswords, its generated passwords with their values. */
  token?: AcrToken;
}
export const AcrCreateToken = new RequestType<AcrCreateTokenParams, AcrCreateTokenResult, ErrorData>("acr/createToken");

/** Get-AzContainerRegistryToken and the create's final GET → GET …/tokens[/{name}] */
export interface AcrGetTokensParams extends AcrRegistryRef {
  context: CallContext;
  /** One token (404 if there is none); absent: every token of the registry. */
  tokenName?: string;
}
export interface AcrGetTokensResult {
  tokens: AcrToken[];
}
export const AcrGetTokens = new RequestType<AcrGetTokensParams, AcrGetTokensResult, ErrorData>("acr/getTokens");

/** Get-AzContainerRegistryScopeMap → GET …/scopeMaps[/{name}] */
export interface AcrGetScopeMapsParams extends AcrRegistryRef {
  context: CallContext;
  scopeMapName?: string;
}
export interface AcrGetScopeMapsResult {
  scopeMaps: AcrScopeMap[];
}
export const AcrGetScopeMaps = new RequestType<AcrGetScopeMapsParams, AcrGetScopeMapsResult, ErrorData>("acr/getScopeMaps");

/** New-AzContainerRegistryCredentials → POST …/registries/{reg}/generateCredentials (waited for when 202). */
export interface AcrGenerateCredentialsParams extends AcrRegistryRef {
  context: CallContext;
  tokenId: string;
  /** password1 | password2; absent: both are generated. */
  passwordName?: string;
  /** ISO-8601 UTC. */
  expiry?: string;
}
export interface AcrGenerateCredentialsResult {
  username: string;
  /** With their values: the only time the service shows them. */
  passwords: AcrTokenPassword[];
}
export const AcrGenerateCredentials = new RequestType<AcrGenerateCredentialsParams, AcrGenerateCredentialsResult, ErrorData>("acr/generateCredentials");

/**
 * Argument completion (-RegistryName, -ResourceGroupName of the registry cmdlets): the container
 * registries of the subscription → GET /subscriptions/{sub}/providers/Microsoft.ContainerRegistry/registries,
 * or of one resource group → GET …/resourceGroups/{rg}/providers/Microsoft.ContainerRegistry/registries
 * (every page, following nextLink).
 */
export interface AcrListRegistriesParams {
  context: CallContext;
  subscriptionId?: string;
  /** Only the registries of this resource group. */
  resourceGroupName?: string;
}
export interface AcrListRegistriesResult {
  registries: { id: string; name: string; resourceGroupName: string; location?: string }[];
}
export const AcrListRegistries = new RequestType<AcrListRegistriesParams, AcrListRegistriesResult, ErrorData>("acr/listRegistries");

// partner/*: Partner Center sign-in (New-PartnerAccessToken, PartnerCenter module)
//
// One cmdlet call is one `partner/newAccessToken`, whatever the flow. The two flows that wait for a
// user (device code, browser sign-in) send what the user must see as warning notifications while
// the request runs (the device code message; the taken ports, the browser launch notices, or the
// URL to open when no browser could be opened), and answer when the user has signed in; the module
// writes each warning at once. A stop (Ctrl+C) sends $/cancelRequest: the server stops polling /
// closes the loopback listener (the port is free again) and answers RequestCancelled. A sign-in
// waits for the user as long as the request is in flight (Entra ID's device code expires on its own).
// The AccessToken set's notices about the token are warning notifications too.

/** -Environment values (PartnerCenter's EnvironmentName). */
export type PartnerEnvironmentName = "AzureCloud" | "AzureChinaCloud" | "AzureGermanCloud" | "AzurePPE" | "AzureUSGovernment";

export type PartnerParameterSet = "AccessToken" | "RefreshToken" | "ServicePrincipal" | "ServicePrincipalCertificate" | "User" | "ByModule";

/** New-PartnerAccessToken → Entra ID (msal-node), or no network at all for the AccessToken set. */
export interface PartnerNewAccessTokenParams {
  context: CallContext;
  /** The parameter set PowerShell bound ($PSCmdlet.ParameterSetName). */
  parameterSet: PartnerParameterSet;
  /** Default AzureCloud. */
  environment?: PartnerEnvironmentName;
  /** -Tenant; default `organizations`. */
  tenant?: string;
  applicationId?: string;
  scopes?: string[];
  /** AccessToken set: the token to decode (a secret). */
  accessToken?: string;
  /** RefreshToken / ByModule sets (a secret). */
  refreshToken?: string;
  /**
   * -Credential: user name and password. ServicePrincipal set: password = client secret (the user
   * name is not used for sign-in). RefreshToken set: user name = the client id, password = its secret.
   */
  credential?: { userName: string; password: string };
  /**
   * -CertificateThumbprint, found by the module in the .NET stores (CurrentUser\My, then
   * LocalMachine\My): the certificate and its private key, exported in memory (never a file).
   */
  certificate?: { thumbprint: string; certificatePem: string; privateKeyPem: string; store: string };
  module?: "ExchangeOnline";
  useAuthorizationCode?: boolean;
  useDeviceAuthentication?: boolean;
}

/** Microsoft.Store.PartnerCenter.PowerShell.Models.Authentication.AuthResult, as data. */
export interface PartnerAuthResult {
  /** Always filled for user flows; null for client credentials and the AccessToken set. */
  refreshToken: string | null;
  accessToken: string;
  isExtendedLifeTimeToken: boolean;
  uniqueId: string | null;
  /** ISO-8601 UTC. */
  expiresOn: string;
  extendedExpiresOn: string;
  tenantId: string | null;
  account: PartnerAccount | null;
  idToken: string | null;
  scopes: string[];
  correlationId: string;
}

export interface PartnerAccount {
  username: string;
  /** The authority host msal files the account under (e.g. login.windows.net for AzureCloud). */
  environment: string;
  homeAccountId: { identifier: string; objectId: string; tenantId: string };
}

/** Where the call signs in (for -Verbose; no secrets). */
export interface PartnerAuthorityInfo {
  environment: PartnerEnvironmentName;
  /** The environment's own authority, e.g. https://login.chinacloudapi.cn/organizations. */
  authority: string;
  /** Where requests go when AZURE_AUTHORITY_HOST redirects them (a custom host), else undefined. */
  redirectedTo?: string;
  /** Which flow ran: "ClientCredentials", "RefreshToken", "AuthorizationCode", "DeviceCode", "AccessToken". */
  flow: string;
  clientId?: string;
  /** "public" | "confidential (secret)" | "confidential (certificate)" */
  client?: string;
}

export interface PartnerNewAccessTokenResult {
  result: PartnerAuthResult;
  info: PartnerAuthorityInfo;
}
export const PartnerNewAccessToken = new RequestType<PartnerNewAccessTokenParams, PartnerNewAccessTokenResult, ErrorData>(
  "partner/newAccessToken",
);

/** All request types the server implements, by method name. */
export const AllMethods = [
  Hello, ArmParseResourceId, ApimNewUserToken, ApimGetTenantAccess, ApimGetUsers, ApimListServices,
  AcrCreateToken, AcrGetTokens, AcrGetScopeMaps, AcrGenerateCredentials,
  PartnerNewAccessToken,
  AcrListRegistries,
].map((t) => t.method);
