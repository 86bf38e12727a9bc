import { Admin, MQClientManager } from '../../src/client/index.js';

/** Runs `body` with an Admin of its own on `namesrvAddr`, shut down afterwards. */
export async function withAdmin<T>(namesrvAddr: string, body: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = new Admin({ nameServer: namesrvAddr, clientIP: '127.0.0.1', clientManager: new MQClientManager() });
  await admin.start();
  try {
    return await body(admin);
  } finally {
    await admin.shutdown();
  }
}

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
