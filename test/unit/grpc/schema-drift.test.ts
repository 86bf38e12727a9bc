import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import protobuf from 'protobufjs';
import { enums, messages, messagingService, type FieldSpec } from '../../../src/grpc/schema.js';

// The Node SDK (rocketmq-client-nodejs 1.0.8, a pinned devDependency) ships the apis .proto files; protobufjs parses
// them here so that every field number, type and label of our own schema is checked against upstream.
const require = createRequire(import.meta.url);
const protoDir = join(dirname(require.resolve('rocketmq-client-nodejs/package.json')), 'proto');
const root = new protobuf.Root();
root.resolvePath = (_origin, target) => (target.startsWith('google/') ? target : join(protoDir, target));
root.loadSync(['apache/rocketmq/v2/definition.proto', 'apache/rocketmq/v2/service.proto'], { keepCase: true });
root.resolveAll();
const pkg = root.lookup('apache.rocketmq.v2') as protobuf.Namespace;

const camel = (name: string): string => name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

/** Our type name for an upstream field (scalars by name, well-known types by our alias, others by their path in the package). */
function ourType(field: protobuf.Field): string {
  if (field.map) return `map<${(field as unknown as protobuf.MapField).keyType},${field.type}>`;
  const resolved = field.resolvedType;
  if (resolved === null) return field.type;
  const full = resolved.fullName.replace(/^\./, '');
  if (full === 'google.protobuf.Duration') return 'duration';
  if (full === 'google.protobuf.Timestamp') return 'timestamp';
  return full.replace(/^apache\.rocketmq\.v2\./, '');
}

function upstreamTypes(ns: protobuf.NamespaceBase): { messages: protobuf.Type[]; enums: protobuf.Enum[] } {
  const out = { messages: [] as protobuf.Type[], enums: [] as protobuf.Enum[] };
  for (const nested of ns.nestedArray) {
    if (nested instanceof protobuf.Type) {
      out.messages.push(nested);
      const inner = upstreamTypes(nested);
      out.messages.push(...inner.messages);
      out.enums.push(...inner.enums);
    } else if (nested instanceof protobuf.Enum) out.enums.push(nested);
  }
  return out;
}
const upstream = upstreamTypes(pkg);
const localName = (t: protobuf.ReflectionObject): string => t.fullName.replace(/^\.apache\.rocketmq\.v2\./, '');

describe('schema drift against the Node SDK 1.0.8 .proto files', () => {
  it('has every upstream message with the same fields (numbers, types, labels, oneofs)', () => {
    const ours = messages as Record<string, Record<string, FieldSpec>>;
    for (const type of upstream.messages) {
      const name = localName(type);
      const mine = ours[name];
      assert.ok(mine !== undefined, `message ${name} missing from src/grpc/schema.ts`);
      const expected: Record<string, readonly unknown[]> = {};
      for (const field of type.fieldsArray) {
        const oneof = field.partOf !== null && !field.partOf.name.startsWith('_') ? `oneof:${camel(field.partOf.name)}` : undefined;
        const label = field.repeated && !field.map ? 'repeated' : oneof ?? (field.options?.proto3_optional === true ? 'optional' : undefined);
        expected[camel(field.name)] = label === undefined ? [field.id, ourType(field)] : [field.id, ourType(field), label];
      }
      assert.deepEqual(mine, expected, `message ${name}`);
    }
    assert.deepEqual(Object.keys(ours).sort(), upstream.messages.map(localName).sort());
  });

  it('has every upstream enum with the same values', () => {
    const ours = enums as Record<string, Record<string, number>>;
    for (const e of upstream.enums) assert.deepEqual(ours[localName(e)], { ...e.values }, `enum ${localName(e)}`);
    assert.deepEqual(Object.keys(ours).sort(), upstream.enums.map(localName).sort());
  });

  it('has every MessagingService method with its request, response and streaming', () => {
    const service = pkg.lookupService('MessagingService');
    const expected = Object.fromEntries(
      service.methodsArray.map((m) => [
        m.name,
        {
          request: m.resolvedRequestType?.name,
          response: m.resolvedResponseType?.name,
          kind: m.requestStream === true ? 'bidi' : m.responseStream === true ? 'serverStream' : 'unary',
        },
      ]),
    );
    assert.deepEqual(messagingService.methods, expected);
    assert.equal(messagingService.name, service.fullName.replace(/^\./, ''));
  });
});
