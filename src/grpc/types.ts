/**
 * The TypeScript types of the `apache.rocketmq.v2` messages, derived from the schema table (schema.ts) so that the
 * codec and the handlers always agree. `Msg<'X'>` is what the decoder produces: implicit-presence scalars carry
 * their default (0, '', false, an empty buffer), repeated fields are arrays, maps are `Map`s, and message fields,
 * `optional` fields and oneof members are `undefined` when absent. `MsgInit<'X'>` is what the encoder takes: every
 * field may be left out. Enums are numbers (the `enums` objects give their names).
 */
import type { EnumName, FieldSpec, MessageName, MethodName, messages, messagingService } from './schema.js';

interface Scalars {
  string: string;
  bytes: Buffer;
  bool: boolean;
  int32: number;
  /** Numbers beyond 2^53 lose precision: no field of the protocol gets near (offsets, timestamps). */
  int64: number;
  float: number;
  /** google.protobuf.Duration, in milliseconds. */
  duration: number;
  /** google.protobuf.Timestamp, in milliseconds since the epoch. */
  timestamp: number;
}

type Schema = typeof messages;

/** Fields that are `undefined` when absent: messages, well-known types, `optional` and oneof members. */
type HasPresence<F extends FieldSpec> = F extends readonly [number, infer T, infer L]
  ? L extends 'optional' | `oneof:${string}`
    ? true
    : T extends MessageName | 'duration' | 'timestamp'
      ? true
      : false
  : F extends readonly [number, infer T]
    ? T extends MessageName | 'duration' | 'timestamp'
      ? true
      : false
    : false;

type Value<T, Init extends boolean> = T extends keyof Scalars
  ? Scalars[T]
  : T extends EnumName
    ? number
    : T extends MessageName
      ? Init extends true
        ? MsgInit<T>
        : Msg<T>
      : T extends 'map<string,string>'
        ? Map<string, string>
        : never;

type Decoded<F extends FieldSpec> = F extends readonly [number, infer T, 'repeated']
  ? Value<T, false>[]
  : HasPresence<F> extends true
    ? Value<F[1], false> | undefined
    : Value<F[1], false>;

type Encoded<F extends FieldSpec> = F extends readonly [number, infer T, 'repeated'] ? readonly Value<T, true>[] : Value<F[1], true>;

/** A decoded `apache.rocketmq.v2` message. */
export type Msg<N extends MessageName> = { -readonly [K in keyof Schema[N]]: Schema[N][K] extends FieldSpec ? Decoded<Schema[N][K]> : never };

/** A message to encode: any field may be omitted (its default is not written). */
export type MsgInit<N extends MessageName> = {
  -readonly [K in keyof Schema[N]]?: Schema[N][K] extends FieldSpec ? Encoded<Schema[N][K]> | undefined : never;
};

type Methods = typeof messagingService.methods;
export type RequestOf<M extends MethodName> = Msg<Methods[M]['request']>;
export type ResponseOf<M extends MethodName> = MsgInit<Methods[M]['response']>;
