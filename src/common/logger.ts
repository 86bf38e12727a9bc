/** The logging seam of the project: libraries are silent unless a logger is injected; servers log to stdout. */
export interface Logger {
  debug(message: string, ...args: unknown[]): void;
  info(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  error(message: string, ...args: unknown[]): void;
}

const ignore = (): void => undefined;

export const silentLogger: Logger = { debug: ignore, info: ignore, warn: ignore, error: ignore };

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const levelRank: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** One line per record on stdout (or `out`): ISO time, level, component, message. */
export function createConsoleLogger(component: string, level: LogLevel = 'info', out: { write(text: string): unknown } = process.stdout): Logger {
  const min = levelRank[level];
  const emit =
    (lvl: LogLevel) =>
    (message: string, ...args: unknown[]): void => {
      if (levelRank[lvl] < min) return;
      const extra = args.length === 0 ? '' : ' ' + args.map(formatArg).join(' ');
      out.write(`${new Date().toISOString()} ${lvl.toUpperCase().padEnd(5)} [${component}] ${message}${extra}\n`);
    };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

function formatArg(arg: unknown): string {
  if (arg instanceof Error) return arg.stack ?? `${arg.name}: ${arg.message}`;
  if (typeof arg === 'string') return arg;
  try {
    return JSON.stringify(arg);
  } catch {
    return String(arg);
  }
}
