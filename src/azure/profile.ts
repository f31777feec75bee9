/**
 * `-DefaultProfile` given as a hashtable (CallContext.profile): its keys as the user wrote them,
 * matched without case against PROFILE_KEYS (src/protocol.ts), made into a ProfileSpec. Every
 * reader of the profile (settings, subscription, credentials) goes through profileOf(), so an
 * unknown key is refused, with the keys it could have been, before anything else of the call runs
 * (no network). The checks of what the profile names together (a secret and a certificate, an
 * identity without its tenant) are the credential's: src/azure/credentials.ts profileCredential.
 */
import { BridgeErrorCodes, CallContext, PROFILE_KEYS, ProfileSpec } from "../protocol";
import { BridgeError, quote } from "../rpc/errors";

/** The error of an unusable -DefaultProfile hashtable: "-DefaultProfile <message>". */
export function invalidProfile(message: string): BridgeError {
  return new BridgeError(BridgeErrorCodes.InvalidInput, `-DefaultProfile ${message}`, {
    category: "InvalidArgument",
    errorId: "InvalidDefaultProfile",
    target: "DefaultProfile",
  });
}

const byLowerName = new Map<string, keyof ProfileSpec>(Object.entries(PROFILE_KEYS).map(([name, field]) => [name.toLowerCase(), field]));
const parsed = new WeakMap<object, ProfileSpec>();

/** The call's -DefaultProfile hashtable as a ProfileSpec (empty values left out), or undefined when none was given. */
export function profileOf(context: CallContext | undefined): ProfileSpec | undefined {
  const given = context?.profile;
  if (!given) return undefined;
  const known = parsed.get(given);
  if (known) return known;
  const spec: ProfileSpec = {};
  for (const [key, value] of Object.entries(given)) {
    const field = byLowerName.get(key.toLowerCase());
    if (!field) throw invalidProfile(`has an unknown key ${quote(key)}. Use: ${Object.keys(PROFILE_KEYS).join(", ")}.`);
    if (value !== "") spec[field] = value;
  }
  parsed.set(given, spec);
  return spec;
}
