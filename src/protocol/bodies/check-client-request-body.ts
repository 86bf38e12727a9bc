import { toFastjson } from './fastjson-writer.js';
import { subscriptionDataFromJson, subscriptionDataToJson, type SubscriptionData } from './heartbeat-data.js';
import { asObject, optString, parseJsonBody } from './json-fields.js';

/**
 * CheckClientRequestBody.java, the body of CHECK_CLIENT_CONFIG (46): a consumer asks a broker whether it can
 * filter one of its subscriptions (a SQL92 expression) before it starts.
 */
export interface CheckClientRequestBody {
  clientId: string;
  group: string;
  subscriptionData: SubscriptionData | undefined;
}

export function encodeCheckClientRequestBody(body: CheckClientRequestBody): Buffer {
  return Buffer.from(
    toFastjson({
      clientId: body.clientId,
      group: body.group,
      subscriptionData: body.subscriptionData === undefined ? undefined : subscriptionDataToJson(body.subscriptionData),
    }),
  );
}

/** An absent body decodes to no subscription, which the broker accepts as Java does. */
export function decodeCheckClientRequestBody(body: Buffer | undefined): CheckClientRequestBody {
  const what = 'CheckClientRequestBody';
  if (body === undefined || body.length === 0) return { clientId: '', group: '', subscriptionData: undefined };
  const obj = asObject(parseJsonBody(body, what), what);
  const sub = Object.hasOwn(obj, 'subscriptionData') ? obj.subscriptionData : undefined;
  return {
    clientId: optString(obj, 'clientId', what) ?? '',
    group: optString(obj, 'group', what) ?? '',
    subscriptionData: sub === undefined || sub === null ? undefined : subscriptionDataFromJson(sub, `${what}.subscriptionData`),
  };
}
