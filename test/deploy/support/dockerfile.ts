/**
 * Reads the repository's Dockerfile and .dockerignore, and replays a build without a Docker
 * engine: each stage gets a directory standing for its filesystem root, COPY copies from the
 * build context (as .dockerignore filters it) or from an earlier stage, RUN runs the command
 * with /bin/sh in the stage's WORKDIR. Absolute paths in a RUN command are taken inside the
 * stage's root. The base image is this machine: the same Node major version as the image's is
 * expected (checked by the caller).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';

export interface Instruction {
  readonly keyword: string;
  /** The text after the keyword, continuation lines joined. */
  readonly text: string;
  readonly line: number;
}

export interface Stage {
  readonly from: string;
  readonly name: string | undefined;
  readonly instructions: readonly Instruction[];
}

/** Parses a Dockerfile into stages (comments and line continuations handled). */
export function parseDockerfile(source: string): Stage[] {
  const stages: { from: string; name: string | undefined; instructions: Instruction[] }[] = [];
  const lines = source.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let text = lines[i]!.trim();
    const line = i + 1;
    if (text === '' || text.startsWith('#')) continue;
    while (text.endsWith('\\') && i + 1 < lines.length) {
      text = `${text.slice(0, -1).trimEnd()} ${lines[++i]!.trim()}`;
    }
    const m = /^(\w+)\s+(.*)$/.exec(text);
    if (m === null) throw new Error(`Dockerfile line ${line}: cannot parse "${text}"`);
    const keyword = m[1]!.toUpperCase();
    if (keyword === 'FROM') {
      const f = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(m[2]!);
      if (f === null) throw new Error(`Dockerfile line ${line}: cannot parse FROM`);
      stages.push({ from: f[1]!, name: f[2], instructions: [] });
    } else {
      const stage = stages[stages.length - 1];
      if (stage === undefined) throw new Error(`Dockerfile line ${line}: ${keyword} before FROM`);
      stage.instructions.push({ keyword, text: m[2]!, line });
    }
  }
  return stages;
}

export interface CopyInstruction {
  readonly from: string | undefined;
  readonly chown: string | undefined;
  readonly sources: readonly string[];
  readonly dest: string;
}

/** The flags, sources and destination of a COPY (shell form; JSON form is not used here). */
export function parseCopy(text: string): CopyInstruction {
  const words = text.split(/\s+/);
  let from: string | undefined;
  let chown: string | undefined;
  while (words[0]?.startsWith('--') === true) {
    const flag = words.shift()!;
    const [name, value] = flag.slice(2).split('=');
    if (name === 'from') from = value;
    else if (name === 'chown') chown = value;
    else throw new Error(`COPY flag ${flag} is not handled`);
  }
  if (words.length < 2) throw new Error(`COPY needs a source and a destination: ${text}`);
  return { from, chown, sources: words.slice(0, -1), dest: words[words.length - 1]! };
}

/** ENV KEY=VALUE pairs (values without spaces; $VAR references to earlier ones expanded). */
export function parseEnv(text: string, previous: ReadonlyMap<string, string>): Map<string, string> {
  const out = new Map(previous);
  for (const pair of text.split(/\s+/)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`ENV in the KEY=VALUE form only: ${text}`);
    out.set(
      pair.slice(0, eq),
      pair.slice(eq + 1).replace(/\$(\w+)/g, (_, n: string) => out.get(n) ?? ''),
    );
  }
  return out;
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * .dockerignore as Docker applies it: each pattern matches a path or one of its parent
 * directories, the last matching pattern wins, and `!` re-includes.
 */
export class DockerIgnore {
  private readonly rules: { readonly pattern: RegExp; readonly include: boolean }[];

  constructor(source: string) {
    this.rules = source
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'))
      .map((l) => {
        const include = l.startsWith('!');
        const body = posix.normalize((include ? l.slice(1) : l).trim()).replace(/^\/|\/$/g, '');
        return { pattern: globToRegExp(body), include };
      });
  }

  /** Whether `path` (relative to the context, with /) is sent to the builder. */
  includes(path: string): boolean {
    const parts = path.split('/');
    let included = true;
    for (const rule of this.rules) {
      for (let n = 1; n <= parts.length; n++) {
        if (rule.pattern.test(parts.slice(0, n).join('/'))) {
          included = rule.include;
          break;
        }
      }
    }
    return included;
  }
}

/** Every file under `dir` of the context that .dockerignore lets through. */
function contextFiles(context: string, dir: string, ignore: DockerIgnore): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(context, dir))) {
    const path = dir === '' ? name : `${dir}/${name}`;
    if (statSync(join(context, path)).isDirectory())
      out.push(...contextFiles(context, path, ignore));
    else if (ignore.includes(path)) out.push(path);
  }
  return out;
}

/** What a COPY source from the context brings: its files, relative to the source. */
export function copySourceFiles(context: string, source: string, ignore: DockerIgnore): string[] {
  const path = posix.normalize(source).replace(/^\.\/|\/$/g, '');
  if (!existsSync(join(context, path))) throw new Error(`COPY source ${source} does not exist`);
  if (statSync(join(context, path)).isDirectory()) {
    return contextFiles(context, path, ignore).map((f) => relative(path, f));
  }
  if (!ignore.includes(path)) throw new Error(`COPY source ${source} is excluded by .dockerignore`);
  return [''];
}

export interface ReplayedStage {
  /** Where the stage's filesystem root is. */
  readonly root: string;
  readonly workdir: string;
  readonly env: ReadonlyMap<string, string>;
  readonly user: string | undefined;
}

/**
 * Replays every stage under `into` and returns the last one's state. `runEnv` is added to each
 * RUN's environment (e.g. npm settings of this machine).
 */
export function replayBuild(options: {
  readonly context: string;
  readonly stages: readonly Stage[];
  readonly ignore: DockerIgnore;
  readonly into: string;
  readonly runEnv: Readonly<Record<string, string>>;
}): ReplayedStage {
  const done = new Map<string, ReplayedStage>();
  let last: ReplayedStage | undefined;
  options.stages.forEach((stage, k) => {
    const root = join(options.into, `stage-${k}`);
    mkdirSync(root, { recursive: true });
    let workdir = '/';
    let env = new Map<string, string>();
    let user: string | undefined;
    const inRoot = (path: string): string => join(root, posix.resolve(workdir, path));
    for (const ins of stage.instructions) {
      switch (ins.keyword) {
        case 'WORKDIR':
          workdir = posix.resolve(workdir, ins.text);
          mkdirSync(inRoot('.'), { recursive: true });
          break;
        case 'ENV':
          env = parseEnv(ins.text, env);
          break;
        case 'USER':
          user = ins.text;
          break;
        case 'COPY': {
          const copy = parseCopy(ins.text);
          for (const source of copy.sources) {
            const dest = inRoot(copy.dest);
            if (copy.from !== undefined) {
              const from = done.get(copy.from);
              if (from === undefined)
                throw new Error(`line ${ins.line}: no earlier stage ${copy.from}`);
              cpSync(join(from.root, source), dest, { recursive: true, verbatimSymlinks: true });
              continue;
            }
            const files = copySourceFiles(options.context, source, options.ignore);
            for (const f of files) {
              const target =
                f === ''
                  ? copy.dest.endsWith('/')
                    ? join(dest, posix.basename(source))
                    : dest
                  : join(dest, f);
              mkdirSync(dirname(target), { recursive: true });
              cpSync(join(options.context, source, f), target);
            }
          }
          break;
        }
        case 'RUN': {
          const command = ins.text.replace(
            /(^|\s)(\/[\w./-]+)/g,
            (_, space: string, path: string) => `${space}${join(root, path)}`,
          );
          const r = spawnSync('/bin/sh', ['-ec', command], {
            cwd: inRoot('.'),
            env: {
              ...process.env,
              ...Object.fromEntries(env),
              ...options.runEnv,
              PATH: process.env.PATH ?? '',
            },
            encoding: 'utf8',
            maxBuffer: 64 * 1024 * 1024,
          });
          if (r.status !== 0) {
            throw new Error(
              `Dockerfile line ${ins.line}: RUN ${ins.text} failed (${String(r.status)}):\n${r.stdout}\n${r.stderr}`,
            );
          }
          break;
        }
        default:
          // EXPOSE, VOLUME, ENTRYPOINT, CMD: metadata, nothing to build.
          break;
      }
    }
    last = { root, workdir, env, user };
    done.set(stage.name ?? String(k), last);
    done.set(String(k), last);
  });
  if (last === undefined) throw new Error('the Dockerfile has no stage');
  return last;
}
