import { asObject, parseJsonBody } from './json-fields.js';
import { decodeSubscriptionGroupWrapper, type SubscriptionGroupConfig } from './subscription-group-wrapper.js';

/**
 * One SubscriptionGroupConfig, UPDATE_AND_CREATE_SUBSCRIPTIONGROUP's body. The wrapper's decoder holds the field
 * rules; the body is checked to be one JSON object first, so wrapping its text in a one-entry table cannot change
 * its meaning. A body without groupName gets the empty name, which the caller rejects.
 */
export function decodeSubscriptionGroupConfig(body: Buffer | string | undefined): SubscriptionGroupConfig {
  const what = 'SubscriptionGroupConfig';
  asObject(parseJsonBody(body, what), what);
  const text = typeof body === 'string' ? body : (body as Buffer).toString('utf8');
  const wrapper = decodeSubscriptionGroupWrapper(`{"subscriptionGroupTable":{"":${text}}}`);
  return wrapper.subscriptionGroupTable.get('') as SubscriptionGroupConfig;
}
