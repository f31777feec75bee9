/**
 * The params of every method of src/protocol.ts, as shapes (src/rpc/shape.ts): the server checks
 * a request's params against its method's shape before the handler runs, and answers a mismatch
 * with JSON-RPC's InvalidParams (-32602), naming the field and the type it must have.
 *
 * Each shape is typed by its protocol interface, so this table cannot drift from the contract: a
 * field added to, removed from or retyped in src/protocol.ts fails the type check here. Only types
 * are checked; values (names, dates, lengths, the allowed words of a string) stay with each
 * service's validation, which speaks in PowerShell parameter names (InvalidInput, 1001).
 */
import { ResponseError } from "vscode-jsonrpc";
import {
  AcrCreateTokenParams,
  AcrGenerateCredentialsParams,
  AcrGetScopeMapsParams,
  AcrGetTokensParams,
  AcrListRegistriesParams,
  AcrTokenCertificate,
  AcrTokenPassword,
  AcrTokenProperties,
  AllMethods,
  ApimGetTenantAccessParams,
  ApimGetUsersParams,
  ApimListServicesParams,
  ApimNewUserTokenParams,
  ArmParseResourceIdParams,
  AzContextSpec,
  CallContext,
  ErrorData,
  HelloParams,
  PartnerNewAccessTokenParams,
} from "../protocol";
import { arr, bool, dict, kindOf, obj, opt, Shape, ShapeError, str } from "./shape";

/** JSON-RPC 2.0's code for params that do not fit the method. */
export const INVALID_PARAMS = -32602;

// -DefaultProfile's hashtable: keys as the user wrote them; src/azure/profile.ts reads it.
const profile = dict(str());

const azContext = obj<AzContextSpec>({
  source: str<AzContextSpec["source"]>(),
  subscriptionId: opt(str()),
  tenantId: opt(str()),
  environment: opt(str()),
  resourceManagerUrl: opt(str()),
  activeDirectoryAuthority: opt(str()),
  account: opt(str()),
  accessToken: opt(str()),
  expiresOn: opt(str()),
});

const context = obj<CallContext>({ env: dict(str()), profile: opt(profile), azContext: opt(azContext), trace: opt(bool) });

const apimService = { resourceGroupName: str(), serviceName: str(), subscriptionId: opt(str()) };
const acrRegistry = { resourceGroupName: str(), registryName: str(), subscriptionId: opt(str()) };

const acrToken = obj<AcrTokenProperties>({
  scopeMapId: opt(str()),
  status: opt(str()),
  certificates: opt(
    arr(obj<AcrTokenCertificate>({ name: opt(str()), expiry: opt(str()), thumbprint: opt(str()), encodedPemCertificate: opt(str()) })),
  ),
  passwords: opt(arr(obj<AcrTokenPassword>({ name: opt(str()), creationTime: opt(str()), expiry: opt(str()), value: opt(str()) }))),
});

type Credential = NonNullable<PartnerNewAccessTokenParams["credential"]>;
type Certificate = NonNullable<PartnerNewAccessTokenParams["certificate"]>;

/** Method name → the shape of its params. */
export const PARAMS: Record<string, Shape<unknown>> = {
  "bridge/hello": obj<HelloParams>({ context: opt(context) }),
  "arm/parseResourceId": obj<ArmParseResourceIdParams>({
    context: opt(context),
    kind: str<ArmParseResourceIdParams["kind"]>(),
    resourceId: opt(str()),
    subscriptionId: opt(str()),
    resourceGroupName: opt(str()),
    registryName: opt(str()),
    tokenName: opt(str()),
    scopeMapName: opt(str()),
  }),
  "apim/newUserToken": obj<ApimNewUserTokenParams>({
    ...apimService,
    context,
    userId: str(),
    keyType: str<ApimNewUserTokenParams["keyType"]>(),
    expiry: str(),
  }),
  "apim/getTenantAccess": obj<ApimGetTenantAccessParams>({ ...apimService, context, accessName: str<ApimGetTenantAccessParams["accessName"]>() }),
  "apim/getUsers": obj<ApimGetUsersParams>({
    ...apimService,
    context,
    userId: opt(str()),
    firstName: opt(str()),
    lastName: opt(str()),
    email: opt(str()),
    state: opt(str<NonNullable<ApimGetUsersParams["state"]>>()),
    groupId: opt(str()),
  }),
  "apim/listServices": obj<ApimListServicesParams>({ context, subscriptionId: opt(str()), resourceGroupName: opt(str()) }),
  "acr/createToken": obj<AcrCreateTokenParams>({
    ...acrRegistry,
    context,
    tokenName: str(),
    token: acrToken,
    noWait: opt(bool),
    generatePasswords: opt(arr(obj<NonNullable<AcrCreateTokenParams["generatePasswords"]>[number]>({ passwordName: opt(str()), expiry: opt(str()) }))),
  }),
  "acr/getTokens": obj<AcrGetTokensParams>({ ...acrRegistry, context, tokenName: opt(str()) }),
  "acr/getScopeMaps": obj<AcrGetScopeMapsParams>({ ...acrRegistry, context, scopeMapName: opt(str()) }),
  "acr/listRegistries": obj<AcrListRegistriesParams>({ context, subscriptionId: opt(str()), resourceGroupName: opt(str()) }),
  "acr/generateCredentials": obj<AcrGenerateCredentialsParams>({
    ...acrRegistry,
    context,
    tokenId: str(),
    passwordName: opt(str()),
    expiry: opt(str()),
  }),
  "partner/newAccessToken": obj<PartnerNewAccessTokenParams>({
    context,
    parameterSet: str<PartnerNewAccessTokenParams["parameterSet"]>(),
    environment: opt(str<NonNullable<PartnerNewAccessTokenParams["environment"]>>()),
    tenant: opt(str()),
    applicationId: opt(str()),
    scopes: opt(arr(str())),
    accessToken: opt(str()),
    refreshToken: opt(str()),
    credential: opt(obj<Credential>({ userName: str(), password: str() })),
    certificate: opt(obj<Certificate>({ thumbprint: str(), certificatePem: str(), privateKeyPem: str(), store: str() })),
    module: opt(str<"ExchangeOnline">()),
    useAuthorizationCode: opt(bool),
    useDeviceAuthentication: opt(bool),
  }),
};

// Every declared method has a shape, and nothing else does (checked when the server loads, and by
// test/unit/params.test.ts).
const missing = AllMethods.filter((m) => !PARAMS[m]);
const extra = Object.keys(PARAMS).filter((m) => !AllMethods.includes(m));
if (missing.length || extra.length) throw new Error(`src/rpc/params.ts: no shape for ${missing.join(", ") || "-"}; shape of an undeclared method ${extra.join(", ") || "-"}`);

function invalidParams(method: string, message: string, target: string | undefined): ResponseError<ErrorData> {
  return new ResponseError<ErrorData>(INVALID_PARAMS, `Invalid params for ${method}: ${message}.`, {
    category: "InvalidArgument",
    errorId: "InvalidParams",
    target,
  });
}

/**
 * The params of a request to `method` (a declared method), checked and copied; throws a
 * ResponseError (InvalidParams) naming the field at fault. Params left out count as `{}`: the
 * shape then says which fields are required.
 */
export function parseParams(method: string, params: unknown): unknown {
  const shape = PARAMS[method];
  if (params === undefined) params = {};
  if (params === null || typeof params !== "object" || Array.isArray(params)) {
    throw invalidParams(method, `params must be an object (by name), got ${kindOf(params)}`, undefined);
  }
  try {
    return shape.parse(params, "");
  } catch (e) {
    if (e instanceof ShapeError) throw invalidParams(method, e.message, e.problem.path);
    throw e;
  }
}
