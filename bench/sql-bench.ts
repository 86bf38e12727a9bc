/** What `bench:client --sql` sends and selects (shared by client.ts and client-worker.ts). */

/** The consumers' selector: true for one message in ten of sqlBenchProperties. */
export const SQL_EXPRESSION = "prop1 < 10 AND prop0 STARTSWITH 'hello'";
export const SQL_MATCH_FRACTION = 0.1;

/**
 * The ten user properties of message `i` in `bench:client --sql`, shaped as those the Java benchmark Producer's
 * `-p` was meant to add: prop0=hello<v>, prop1=<v>, prop2=hello<v+2>, prop3=<v+2>... with v = i % 100, so
 * `prop1 < 10` matches exactly one message in ten.
 */
export function sqlBenchProperties(i: number): Record<string, string> {
  const v = i % 100;
  const properties: Record<string, string> = {};
  for (let k = 0; k < 5; k++) {
    properties[`prop${2 * k}`] = `hello${v + 2 * k}`;
    properties[`prop${2 * k + 1}`] = String(v + 2 * k);
  }
  return properties;
}
