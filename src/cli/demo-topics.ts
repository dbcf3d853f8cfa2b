/** The demo's typed topics and services, shared by the hub and its workers. */
export type DemoTopics = {
  [k: `sensor.${string}.temp`]: { celsius: number; at: number };
  [k: `sensor.${string}.humidity`]: { percent: number; at: number };
  'demo.ready': { worker: string };
  'demo.done': { worker: string; sent: number };
  'demo.stop': null;
};
export type DemoServices = {
  'stats.average': { request: { room: string }; response: { room: string; average: number; samples: number } };
};
