/**
 * Subcommand arities, as Redis 7.0 declares them, for the commands that have subcommands, and
 * the HELP texts of those a member answers itself (CLIENT, COMMAND, CONFIG; OBJECT and MEMORY
 * keep theirs with the state machine's commands). Redis checks a subcommand's arity before it
 * runs, and inside MULTI before it queues, and answers `wrong number of arguments for
 * 'client|id' command`; clients and tools that probe with extra or missing arguments get the
 * same answer here.
 */
import { arityOk } from '../fsm/commands/args.js';
import { wrongArity } from '../fsm/result.js';

interface Subcommands {
  /** Arity by lower-case subcommand, counting the command and the subcommand; negative: at least. */
  readonly arity: ReadonlyMap<string, number>;
  /** HELP's lines, for the commands answered outside the state machine. */
  readonly help?: readonly string[];
}

const header = (command: string): string =>
  `${command} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`;

const HELP_LINES = ['HELP', '    Print this help.'];

const TABLES: ReadonlyMap<string, Subcommands> = new Map([
  [
    'client',
    {
      arity: new Map([
        ['id', 2],
        ['info', 2],
        ['list', -2],
        ['kill', -3],
        ['getname', 2],
        ['setname', 3],
        ['setinfo', 4],
        ['reply', 3],
        ['tracking', -3],
        ['no-evict', 3],
        ['no-touch', 3],
        ['pause', -3],
        ['unpause', 2],
        ['help', 2],
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
        'PAUSE <timeout> [WRITE|ALL]',
        "    Suspend this member's clients for <timeout> milliseconds: every command (ALL,",
        '    the default), or only those that write (WRITE).',
        'UNPAUSE',
        '    Stop the current client pause, resuming the clients it holds.',
        ...HELP_LINES,
      ],
    },
  ],
  [
    'command',
    {
      arity: new Map([
        ['count', 2],
        ['list', -2],
        ['info', -2],
        ['docs', -2],
        ['getkeys', -4],
        ['help', 2],
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
        ['get', -3],
        ['set', -4],
        ['resetstat', 2],
        ['help', 2],
      ]),
      help: [
        header('CONFIG'),
        'GET <pattern>',
        '    Return parameters matching the glob-like <pattern> and their values.',
        'SET <directive> <value> [<directive> <value> ...]',
        '    Set slowlog-log-slower-than and slowlog-max-len on this member; the other',
        "    settings are the member's command-line flags.",
        'RESETSTAT',
        '    Accepted for compatibility.',
        ...HELP_LINES,
      ],
    },
  ],
  [
    'slowlog',
    {
      arity: new Map([
        ['get', -2],
        ['len', 2],
        ['reset', 2],
        ['help', 2],
      ]),
      help: [
        header('SLOWLOG'),
        'GET [<count>]',
        '    Return top <count> entries from the slowlog (default: 10, -1 mean all).',
        '    Entries are made of:',
        '    id, timestamp, time in microseconds, arguments array, client IP and port,',
        '    client name',
        'LEN',
        '    Return the length of the slowlog.',
        'RESET',
        '    Reset the slowlog.',
        'HELP',
        '    Prints this help.',
      ],
    },
  ],
  // Data commands: their HELP is a state machine command like the others.
  [
    'object',
    {
      arity: new Map([
        ['encoding', 3],
        ['freq', 3],
        ['help', 2],
        ['idletime', 3],
        ['refcount', 3],
      ]),
    },
  ],
  [
    'memory',
    {
      arity: new Map([
        ['doctor', 2],
        ['help', 2],
        ['malloc-stats', 2],
        ['purge', 2],
        ['usage', -3],
      ]),
    },
  ],
]);

/** Whether `command` has subcommands listed here. */
export function hasSubcommands(command: string): boolean {
  return TABLES.has(command);
}

/** The arity of `command`'s subcommand `sub` (any case); undefined if it is not one. */
export function subcommandArity(command: string, sub: string): number | undefined {
  return TABLES.get(command)?.arity.get(sub.toLowerCase());
}

/**
 * Redis's arity error when `argv` (command, subcommand, arguments) has the wrong number of
 * arguments for a known subcommand of `command`; undefined when it has the right number or the
 * subcommand is unknown (the command itself answers that).
 */
export function subcommandArityError(command: string, argv: readonly Buffer[]): string | undefined {
  const sub = (argv[1]?.toString('latin1') ?? '').toLowerCase();
  const arity = subcommandArity(command, sub);
  if (arity === undefined || arityOk(arity, argv.length)) return undefined;
  return wrongArity(`${command}|${sub}`).message;
}

/** The lines `<COMMAND> HELP` answers with, for CLIENT, COMMAND, CONFIG and SLOWLOG. */
export function subcommandHelp(command: string): readonly string[] {
  const help = TABLES.get(command)?.help;
  if (help === undefined) throw new Error(`no HELP text for ${command}`);
  return help;
}
