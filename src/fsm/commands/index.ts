import type { CommandDef } from './context.js';
import { HASH_COMMANDS } from './hashes.js';
import { INTROSPECTION_COMMANDS } from './introspection.js';
import { KEY_COMMANDS } from './keys.js';
import { LCS_COMMANDS } from './lcs.js';
import { MEMORY_COMMANDS } from './memory.js';
import { SERVER_COMMANDS } from './server.js';
import { STRING_COMMANDS } from './strings.js';

export type { CommandContext, CommandDef, CommandFn } from './context.js';

/** Every data command, by lower-case name. Aliases are separate entries. */
export const COMMAND_DEFS: ReadonlyMap<string, CommandDef> = new Map(
  [
    ...STRING_COMMANDS,
    ...LCS_COMMANDS,
    ...KEY_COMMANDS,
    ...HASH_COMMANDS,
    ...SERVER_COMMANDS,
    ...INTROSPECTION_COMMANDS,
    ...MEMORY_COMMANDS,
  ].map((d) => [d.name, d]),
);
