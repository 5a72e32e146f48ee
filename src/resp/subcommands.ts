/**
 * The subcommands of CLIENT, COMMAND and CONFIG that a member answers itself: their arities, as
 * Redis 7.0 declares them, and their HELP texts. Redis checks a subcommand's arity before it
 * runs and answers `wrong number of arguments for 'client|id' command`; clients and tools that
 * probe with extra or missing arguments get the same answer here.
 */
import { wrongArity } from '../fsm/result.js';

interface Subcommands {
  /** Arity counting the command and the subcommand; negative: at least that many. */
  readonly arity: ReadonlyMap<string, number>;
  readonly help: readonly string[];
}

const header = (command: string): string =>
  `${command} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`;

const HELP_LINES = ['HELP', '    Print this help.'];

const TABLES: ReadonlyMap<string, Subcommands> = new Map([
  [
    'client',
    {
      arity: new Map([
        ['ID', 2],
        ['INFO', 2],
        ['LIST', -2],
        ['KILL', -3],
        ['GETNAME', 2],
        ['SETNAME', 3],
        ['SETINFO', 4],
        ['REPLY', 3],
        ['TRACKING', -3],
        ['NO-EVICT', 3],
        ['NO-TOUCH', 3],
        ['HELP', 2],
      ]),
      help: [
        header('CLIENT'),
        'ID',
        '    Return the ID of the current connection.',
        'INFO',
        '    Return information about the current client connection.',
        'LIST [TYPE <normal|master|replica|pubsub>]',
        'LIST [ID <client-id> [<client-id> ...]]',
        '    Return information about client connections.',
        'KILL <ip:port>',
        '    Kill connection made from <ip:port>.',
        'KILL <option> <value> [<option> <value> [...]]',
        '    Kill connections. Options are: ID <client-id>, TYPE <normal|master|replica|pubsub>,',
        '    USER <username>, ADDR <ip:port>, LADDR <ip:port>, SKIPME (YES|NO).',
        'GETNAME',
        '    Return the name of the current connection.',
        'SETNAME <name>',
        '    Assign the name <name> to the current connection.',
        'SETINFO <LIB-NAME|LIB-VER> <value>',
        '    Set the client library name or version shown by CLIENT LIST.',
        'REPLY (ON|OFF|SKIP)',
        '    Control the replies sent to the current connection.',
        'TRACKING OFF',
        '    Client-side caching is not offered: tracking can only be off.',
        'NO-EVICT (ON|OFF)',
        '    Accepted for compatibility: Redraft never evicts clients.',
        ...HELP_LINES,
      ],
    },
  ],
  [
    'command',
    {
      arity: new Map([
        ['COUNT', 2],
        ['LIST', -2],
        ['INFO', -2],
        ['DOCS', -2],
        ['GETKEYS', -4],
        ['HELP', 2],
      ]),
      help: [
        header('COMMAND'),
        '(no subcommand)',
        '    Return details about all commands.',
        'COUNT',
        '    Return the total number of commands.',
        'LIST [FILTERBY (MODULE <module-name>|ACLCAT <category>|PATTERN <pattern>)]',
        '    Return a list of all commands, optionally filtered.',
        'INFO [<command-name> ...]',
        '    Return details about the given commands, or all of them.',
        'DOCS [<command-name> ...]',
        '    Return documentation details about the given commands, or all of them.',
        'GETKEYS <full-command>',
        '    Return the keys from a full command.',
        ...HELP_LINES,
      ],
    },
  ],
  [
    'config',
    {
      arity: new Map([
        ['GET', -3],
        ['SET', -4],
        ['RESETSTAT', 2],
        ['HELP', 2],
      ]),
      help: [
        header('CONFIG'),
        'GET <pattern>',
        '    Return parameters matching the glob-like <pattern> and their values.',
        'SET <directive> <value>',
        "    Refused: a member's settings are its command-line flags.",
        'RESETSTAT',
        '    Accepted for compatibility.',
        ...HELP_LINES,
      ],
    },
  ],
]);

/**
 * Redis's arity error when `argv` (command, subcommand, arguments) has the wrong number of
 * arguments for a known subcommand of `command`; undefined when it has the right number or the
 * subcommand is unknown (the command itself answers that).
 */
export function subcommandArityError(command: string, argv: readonly Buffer[]): string | undefined {
  const sub = (argv[1]?.toString('latin1') ?? '').toUpperCase();
  const arity = TABLES.get(command)?.arity.get(sub);
  if (arity === undefined) return undefined;
  const ok = arity > 0 ? argv.length === arity : argv.length >= -arity;
  return ok ? undefined : wrongArity(`${command}|${sub.toLowerCase()}`).message;
}

/** The lines `<COMMAND> HELP` answers with. */
export function subcommandHelp(command: string): readonly string[] {
  const table = TABLES.get(command);
  if (table === undefined) throw new Error(`no subcommand table for ${command}`);
  return table.help;
}
