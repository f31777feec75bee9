/**
 * ARM's cloud metadata document: `GET /metadata/endpoints?api-version=…`, answered without a token.
 *
 * Clients that are given only a Resource Manager endpoint read the rest of the cloud from it:
 * `az cloud register --endpoint-resource-manager …` (msrestazure `_populate_from_metadata_endpoint`,
 * api-version 2015-01-01: it takes `authentication.loginEndpoint` as the authority host,
 * `authentication.audiences[0]` as the ARM token resource, `graphEndpoint` and `galleryEndpoint`), and
 * azure-cli's `ARM_CLOUD_METADATA_URL` (api-version 2019-05-01: a list of clouds).
 *
 * Shapes as ARM answers them. No recording in /work/shared/reference shows this endpoint; the shapes are
 * public copies of management.azure.com's answers: the 2015-01-01 document in pulumi-azure-native's cloud
 * metadata tests (provider/pkg/azure/cloud/metadata), the 2019-05-01 list in a Go test stub of the endpoint
 * found by code search, the fields azure-cli 2.45 reads (msrestazure azure_cloud.py, azure/cli/core/cloud.py
 * `_arm_to_cli_mapper`), and a pam_aad trace of api-version 2017-12-01 (a superset of 2015-01-01):
 *   2015-01-01  {"galleryEndpoint","graphEndpoint","portalEndpoint","authentication":{"loginEndpoint","audiences":[…]}}
 *   2019-05-01  [{"portal","authentication":{"loginEndpoint","audiences","tenant","identityProvider"},"media",
 *                 "graphAudience","graph","name","suffixes":{…},"batch","resourceManager","vmImageAliasDoc",
 *                 "activeDirectoryDataLake","sqlManagement","gallery"}]
 * The emulator describes itself: its origin is the login endpoint and the resource manager, and the
 * audiences are the ones its ARM accepts (the public cloud's). It serves no portal, gallery, Graph,
 * batch, media or SQL management: those keep the public cloud's values (identifiers, never called
 * by the commands the emulator serves).
 */
import { ARM_AUDIENCES } from "../directory";
import type { RequestContext } from "../http";

/** The cloud's name in the 2019-05-01 list (the emulator's own; ARM lists AzureCloud, AzureChinaCloud, …). */
export const EMULATOR_CLOUD_NAME = "AzTokenBridgeEmulator";

/** api-versions of the document, oldest first. */
export const METADATA_API_VERSIONS = ["2015-01-01", "2019-05-01"] as const;

const PUBLIC = {
  gallery: "https://gallery.azure.com/",
  graph: "https://graph.windows.net/",
  portal: "https://portal.azure.com/",
  media: "https://rest.media.azure.net",
  batch: "https://batch.core.windows.net/",
  vmImageAliasDoc: "https://raw.githubusercontent.com/Azure/azure-rest-api-specs/master/arm-compute/quickstart-templates/aliases.json",
  activeDirectoryDataLake: "https://datalake.azure.net/",
  sqlManagement: "https://management.core.windows.net:8443/",
};

/** The ARM audiences the document names, in ARM's order: management.core.windows.net first (az takes [0]). */
function audiences(): string[] {
  return ARM_AUDIENCES.filter((a) => a.endsWith("/"));
}

/** The document for `api-version`, or undefined when the emulator does not know that version. */
export function cloudMetadata(ctx: RequestContext, apiVersion: string): unknown {
  const login = `${ctx.origin}/`;
  if (apiVersion === "2015-01-01") {
    return {
      galleryEndpoint: PUBLIC.gallery,
      graphEndpoint: PUBLIC.graph,
      portalEndpoint: PUBLIC.portal,
      authentication: { loginEndpoint: login, audiences: audiences() },
    };
  }
  if (apiVersion === "2019-05-01") {
    return [
      {
        portal: PUBLIC.portal.replace(/\/$/, ""),
        authentication: { loginEndpoint: login, audiences: audiences(), tenant: "common", identityProvider: "AAD" },
        media: PUBLIC.media,
        graphAudience: PUBLIC.graph,
        graph: PUBLIC.graph,
        name: EMULATOR_CLOUD_NAME,
        suffixes: {
          azureDataLakeStoreFileSystem: "azuredatalakestore.net",
          acrLoginServer: "azurecr.io",
          sqlServerHostname: "database.windows.net",
          azureDataLakeAnalyticsCatalogAndJob: "azuredatalakeanalytics.net",
          keyVaultDns: "vault.azure.net",
          storage: "core.windows.net",
          azureFrontDoorEndpointSuffix: "azurefd.net",
        },
        batch: PUBLIC.batch,
        resourceManager: `${ctx.origin}/`,
        vmImageAliasDoc: PUBLIC.vmImageAliasDoc,
        activeDirectoryDataLake: PUBLIC.activeDirectoryDataLake,
        sqlManagement: PUBLIC.sqlManagement,
        gallery: PUBLIC.gallery,
      },
    ];
  }
  return undefined;
}
