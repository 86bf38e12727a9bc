import type { Admin } from '../../src/client/index.js';

/** Waits until the name server routes `topic` (clients that start afterwards find it at once); 30 s at most. */
export async function waitForTopicRoute(admin: Admin, topic: string, timeoutMillis = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMillis;
  for (;;) {
    try {
      await admin.topicRoute(topic);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
