/**
 * A random secret made once by the stack and kept (encrypted) in its state: the directory's
 * admin and service account passwords. A small dynamic provider, so the stack needs no extra
 * provider package; like every dynamic provider here it imports nothing at run time.
 */
import * as pulumi from "@pulumi/pulumi";

export interface GeneratedSecretInputs {
  /** Random bytes before base64url encoding. */
  readonly bytes: number;
}

export const generatedSecretProvider = {
  create(inputs: GeneratedSecretInputs) {
    const { randomBytes } = process.getBuiltinModule("node:crypto");
    const value = randomBytes(inputs.bytes).toString("base64url");
    return Promise.resolve({
      id: randomBytes(8).toString("hex"),
      outs: { bytes: inputs.bytes, value },
    });
  },
  diff(_id: string, olds: GeneratedSecretInputs, news: GeneratedSecretInputs) {
    const changed = olds.bytes !== news.bytes;
    return Promise.resolve({ changes: changed, replaces: changed ? ["bytes"] : [] });
  },
};

export interface GeneratedSecretArgs {
  /** Random bytes; the secret is their base64url text. Default 24 (32 characters). */
  readonly bytes?: number;
}

export class GeneratedSecret extends pulumi.dynamic.Resource {
  /** The secret itself, always a Pulumi secret. */
  declare readonly value: pulumi.Output<string>;

  constructor(name: string, args: GeneratedSecretArgs = {}, opts?: pulumi.CustomResourceOptions) {
    super(
      generatedSecretProvider,
      name,
      { bytes: args.bytes ?? 24, value: undefined },
      { ...opts, additionalSecretOutputs: ["value"] },
      "mailstack",
      "GeneratedSecret",
    );
  }
}
