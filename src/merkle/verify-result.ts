/** The answer of every verifier in src/merkle: valid, or invalid with a reason for a human. */
export type VerifyResult =
  { readonly valid: true } | { readonly valid: false; readonly reason: string };
