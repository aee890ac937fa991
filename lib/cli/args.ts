/**
 * The one argument parser of every `genre-lab` command: node:util `parseArgs`, strict (an unknown
 * option or a missing value is an error, never ignored), `--name value` or `--name=value`,
 * positionals anywhere. Commands describe their options and check values with the helpers below;
 * an `ArgsError` is a usage error (exit code 2, with the command's usage text).
 */
import { parseArgs } from 'util';

export class ArgsError extends Error {}

export type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

export interface Parsed {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

/** Parses `argv` against `options`; throws ArgsError naming the offending option. */
export function parseCommandLine(argv: string[], options: OptionSpec, opts: { maxPositionals?: number } = {}): Parsed {
  let r: Parsed;
  try {
    r = parseArgs({ args: argv, options, allowPositionals: true, strict: true }) as Parsed;
  } catch (e) {
    // node's messages: "Unknown option '--x'. …", "Option '--out <value>' argument missing"
    const m = (e as Error).message.replace(/\. To specify a positional argument starting with a '-'.*$/s, '');
    throw new ArgsError(m.replace(/^Unknown option/, 'unknown option').replace(/^Option '([^ ']+)[^']*' argument missing$/, 'option $1 needs a value'));
  }
  if (opts.maxPositionals !== undefined && r.positionals.length > opts.maxPositionals) {
    throw new ArgsError(`unexpected argument '${r.positionals[opts.maxPositionals]}'`);
  }
  return r;
}

/** A string option's value, or undefined. */
export function stringArg(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === 'string' ? v : undefined;
}

/** An integer option (≥ `min`, default 0), or undefined when absent. */
export function intArg(p: Parsed, name: string, min = 0): number | undefined {
  const v = stringArg(p, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(v.trim() !== '' && Number.isInteger(n) && n >= min)) throw new ArgsError(`--${name} must be ${min === 1 ? 'a positive integer' : min === 0 ? 'a non-negative integer' : `an integer ≥ ${min}`}, got '${v}'`);
  return n;
}

/** Any integer (negative too), or undefined. */
export function wholeArg(p: Parsed, name: string): number | undefined {
  const v = stringArg(p, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(v.trim() !== '' && Number.isInteger(n))) throw new ArgsError(`--${name} must be an integer, got '${v}'`);
  return n;
}

/** A non-negative number option, or undefined. */
export function numberArg(p: Parsed, name: string): number | undefined {
  const v = stringArg(p, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(v.trim() !== '' && Number.isFinite(n) && n >= 0)) throw new ArgsError(`--${name} must be a non-negative number, got '${v}'`);
  return n;
}

/** An option whose value must be one of `allowed`, or undefined. */
export function choiceArg<T extends string>(p: Parsed, name: string, allowed: readonly T[]): T | undefined {
  const v = stringArg(p, name);
  if (v === undefined) return undefined;
  if (!allowed.includes(v as T)) throw new ArgsError(`--${name} must be one of ${allowed.join(', ')}, got '${v}'`);
  return v as T;
}

/** A boolean flag. */
export function flagArg(p: Parsed, name: string): boolean {
  return p.values[name] === true;
}
