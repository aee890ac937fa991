/** What the native TensorFlow backend runs, for the tests of the layers' fast paths. */
import { tf } from '../../lib/backend';

/** The TF ops a call runs through tfjs-node's binding (none on the other backends). */
export function opsRun<T>(f: () => T): { result: T; ops: string[] } {
  const be = tf.backend() as unknown as { binding?: Record<string, unknown> & { executeOp: (...a: unknown[]) => unknown } };
  const binding = be.binding;
  if (!binding) return { result: f(), ops: [] };
  const ops: string[] = [];
  const copy: Record<string, unknown> = {};
  for (const k of Object.getOwnPropertyNames(binding)) copy[k] = typeof binding[k] === 'function' ? (binding[k] as (...a: unknown[]) => unknown).bind(binding) : binding[k];
  be.binding = { ...copy, executeOp: (...a: unknown[]) => (ops.push(a[0] as string), binding.executeOp(...a)) } as typeof binding;
  try {
    return { result: f(), ops };
  } finally {
    be.binding = binding;
  }
}
